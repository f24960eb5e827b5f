"""Invokes the Lambda API of an Ion Host node through boto3, the real AWS SDK.

Usage: lambda_invoke.py ENDPOINT REQUESTS_JSON [--wait-for-go] [--credentials KEY_ID SECRET]
REQUESTS_JSON is a list of invoke arguments (FunctionName, Payload, InvocationType,
LogType, ClientContext, Qualifier). Prints a JSON list with, for each, either
{"StatusCode", "FunctionError", "LogResult" (decoded), "ExecutedVersion", "Payload",
"RequestId"} or {"Error": {"Code", "Message", "HTTPStatusCode"}}.
With --wait-for-go it prints "ready" once the client is made and invokes only after a line
arrives on stdin, so a test can line up the node's state first. With --credentials the
client signs (SigV4, as botocore always does) with that key instead of the dummy one.
"""

import base64
import json
import sys

import boto3
import botocore.config
import botocore.exceptions


def main():
    endpoint, requests, flags = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
    key_id, secret = "test", "test"
    if "--credentials" in flags:
        at = flags.index("--credentials")
        key_id, secret = flags[at + 1], flags[at + 2]
    client = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=120),
    )
    if "--wait-for-go" in flags:
        # A first call loads what botocore loads lazily, so the real ones go out at once.
        client.invoke(FunctionName=requests[0]["FunctionName"], InvocationType="DryRun")
        print("ready", flush=True)
        sys.stdin.readline()
    results = []
    for args in requests:
        try:
            r = client.invoke(**args)
            results.append({
                "StatusCode": r["StatusCode"],
                "FunctionError": r.get("FunctionError"),
                "LogResult": base64.b64decode(r["LogResult"]).decode() if "LogResult" in r else None,
                "ExecutedVersion": r.get("ExecutedVersion"),
                "Payload": r["Payload"].read().decode("utf-8", "replace"),
                "RequestId": r["ResponseMetadata"]["RequestId"],
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
