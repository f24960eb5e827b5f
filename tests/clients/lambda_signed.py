"""Invokes the Lambda API of an Ion Host node through boto3 with the given credentials, so
botocore signs each request with AWS Signature Version 4.

Usage: lambda_signed.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY REQUESTS_JSON
REQUESTS_JSON is a list of invoke arguments (FunctionName, Payload, Qualifier, ...).
Prints a JSON list with, for each, either {"StatusCode", "FunctionError", "Payload"} or
{"Error": {"Code", "Message", "HTTPStatusCode"}}.
"""

import json
import sys

import boto3
import botocore.config
import botocore.exceptions


def main():
    endpoint, key_id, secret, requests = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    client = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=60),
    )
    results = []
    for args in requests:
        try:
            r = client.invoke(**args)
            results.append({
                "StatusCode": r["StatusCode"],
                "FunctionError": r.get("FunctionError"),
                "Payload": r["Payload"].read().decode("utf-8", "replace"),
            })
        except botocore.exceptions.ClientError as e:
            results.append({"Error": {
                "Code": e.response["Error"]["Code"],
                "Message": e.response["Error"].get("Message", ""),
                "HTTPStatusCode": e.response["ResponseMetadata"]["HTTPStatusCode"],
            }})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
