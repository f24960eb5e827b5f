"""Looks at an S3-compatible server through boto3, the real AWS SDK, as an operator
would with `aws s3api`.

Usage:
  s3_objects.py ENDPOINT create-bucket BUCKET
  s3_objects.py ENDPOINT list BUCKET PREFIX     prints [{"Key": …, "Size": …}, …] as JSON
"""

import json
import sys

import boto3


def main():
    endpoint, command, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    if command == "create-bucket":
        client.create_bucket(Bucket=bucket)
    elif command == "list":
        objects = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=sys.argv[4]):
            objects += [{"Key": o["Key"], "Size": o["Size"]} for o in page.get("Contents", [])]
        print(json.dumps(objects))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
