# tests/test_apigw.py — owns the tests of API Gateway events in the Python SDK: AWS's
# documented v1/v2 sample events (tests/cases/api-gateway/, shared with sdk/rust/apigw)
# read into requests as the Rust SDK reads them, and ionize's proxy responses.
import base64
import json
import os
import unittest

import support
from ion import IonError, Response, ionize
from ion.apigw import EventError, json_to_edn, parse_event
from ion.edn import read


def case(name):
    with open(os.path.join(support.CASES, "api-gateway", name), encoding="utf-8") as f:
        return f.read()


class Events(unittest.TestCase):
    def parsed(self, name):
        text = case(name)
        g = parse_event(text)
        self.assertEqual(read(g.data), json_to_edn(json.loads(text)), name)
        self.assertEqual(g.json, text)
        return g

    def test_rest_api_sample(self):
        g = self.parsed("rest-v1.json")
        self.assertEqual((g.method, g.path, g.query_string), ("post", "/path/to/resource", "foo=bar"))
        self.assertEqual(g.body, b'{"test":"body"}')
        self.assertEqual(g.headers[0][0], "accept")
        self.assertEqual([n for n, _ in g.headers], sorted(n for n, _ in g.headers))
        self.assertIn(("x-forwarded-for", "127.0.0.1, 127.0.0.2"), g.headers)
        self.assertEqual((g.protocol, g.remote_addr, g.scheme), ("HTTP/1.1", "127.0.0.1", "https"))
        self.assertEqual((g.server_name, g.server_port, g.version),
                         ("0123456789.execute-api.us-east-1.amazonaws.com", 443, "1.0"))
        self.assertIn(':multiValueQueryStringParameters {:foo ["bar"]}', g.data)

    def test_http_api_v2_sample(self):
        g = self.parsed("http-v2.json")
        self.assertEqual((g.method, g.path), ("post", "/my/path"))
        self.assertEqual(g.query_string, "parameter1=value1&parameter1=value2&parameter2=value")
        self.assertEqual(g.headers, [("cookie", "cookie1; cookie2"), ("header1", "value1"),
                                     ("header2", "value1,value2")])
        self.assertEqual(g.body, b"Hello from Lambda")
        self.assertEqual((g.remote_addr, g.server_name, g.server_port, g.version),
                         ("192.0.2.1", "id.execute-api.us-east-1.amazonaws.com", None, "2.0"))

    def test_http_api_v1_sample(self):
        g = self.parsed("http-v1.json")
        self.assertEqual(g.method, "get")
        self.assertEqual(g.query_string, "parameter1=value1&parameter1=value2&parameter2=value")
        self.assertEqual(g.headers, [("header1", "value1"), ("header2", "value1"),
                                     ("header2", "value2")])
        self.assertEqual(g.body, b"Hello from Lambda!")

    def test_binary_event(self):
        g = self.parsed("rest-v1-binary.json")
        self.assertEqual(g.method, "put")
        self.assertEqual(g.query_string, "note=a%20b%26c%3Dd&tag=%C3%A9")
        self.assertEqual(g.body, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff")
        self.assertEqual((g.protocol, g.scheme, g.server_name, g.server_port),
                         ("HTTP/2.0", "http", "example.com", 8443))

    def test_malformed_events_name_the_field(self):
        cases = [
            ("[1]", "the event is an array; expected a JSON object"),
            ("{}", "neither `httpMethod` nor `version` is present"),
            ('{"version": "3.0"}', '`version` is "3.0"; expected "1.0" or "2.0"'),
            ('{"httpMethod": "GE T", "path": "/"}', '`httpMethod` is "GE T"; expected a string such as "GET"'),
            ('{"httpMethod": "GET"}', '`path` is missing; expected a string such as "/my/path"'),
            ('{"httpMethod": "GET", "path": "/", "multiValueHeaders": {"Accept": ["a", 1]}}',
             "`multiValueHeaders.Accept[1]` is 1; expected a string"),
            ('{"httpMethod": "GET", "path": "/", "isBase64Encoded": true, "body": "%%"}',
             "`body` is not valid base64 although `isBase64Encoded` is true"),
            ('{"version": "2.0", "rawPath": "/", "requestContext": {"http": {}}}',
             '`requestContext.http.method` is missing; expected a string such as "GET"'),
        ]
        for event, message in cases:
            with self.assertRaises(EventError) as cm:
                parse_event(event)
            self.assertIn("API Gateway event: " + message, str(cm.exception), event)


class Ionize(unittest.TestCase):
    def test_v1_text_response(self):
        seen = {}

        def handler(request):
            seen["request"] = request
            return Response.text(200, "hi ü").header("Set-Cookie", "a=1").header("set-cookie", "b=2")
        out = json.loads(ionize(handler, case("rest-v1.json")))
        r = seen["request"]
        self.assertEqual(r.request_method, "post")
        self.assertEqual(r.query_param("foo"), "bar")
        self.assertEqual(r.api_gateway_json, case("rest-v1.json"))
        self.assertEqual(r.api_gateway_data, json_to_edn(json.loads(case("rest-v1.json"))))
        self.assertEqual(out["statusCode"], 200)
        self.assertEqual(out["body"], "hi ü")
        self.assertFalse(out["isBase64Encoded"])
        self.assertEqual(out["headers"]["set-cookie"], "b=2")
        self.assertEqual(out["multiValueHeaders"]["set-cookie"], ["a=1", "b=2"])
        self.assertNotIn("cookies", out)

    def test_v2_binary_response(self):
        out = json.loads(ionize(lambda r: Response.binary(201, b"\x00\xff", "image/png"),
                                case("http-v2.json")))
        self.assertTrue(out["isBase64Encoded"])
        self.assertEqual(base64.b64decode(out["body"]), b"\x00\xff")
        self.assertEqual(out["cookies"], [])
        self.assertEqual(out["statusCode"], 201)

    def test_echoes_binary_bodies(self):
        out = json.loads(ionize(lambda r: Response.binary(200, r.body, r.header("content-type")),
                                case("rest-v1-binary.json")))
        self.assertEqual(base64.b64decode(out["body"]), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff")

    def test_bad_events_are_incorrect(self):
        with self.assertRaises(IonError) as cm:
            ionize(lambda r: Response.text(200, ""), "not json")
        self.assertEqual(cm.exception.category, "incorrect")
        self.assertIn("the text is not JSON", cm.exception.message)

    def test_handlers_must_return_responses(self):
        with self.assertRaisesRegex(IonError, "expected an ion.Response"):
            ionize(lambda r: "nope", case("http-v1.json"))


if __name__ == "__main__":
    unittest.main()
