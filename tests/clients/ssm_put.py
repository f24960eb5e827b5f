"""Fills an SSM-compatible server through boto3, the real AWS SDK, as the reference's
`aws ssm put-parameter --name N --value V --type T` commands do.

Usage: ssm_put.py ENDPOINT PARAMS_JSON, PARAMS_JSON a list of {"Name", "Value", "Type"}.
"""

import json
import sys

import boto3


def main():
    endpoint, params = sys.argv[1], json.loads(sys.argv[2])
    client = boto3.client(
        "ssm",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    for p in params:
        client.put_parameter(Name=p["Name"], Value=p["Value"], Type=p["Type"], Overwrite=True)


if __name__ == "__main__":
    main()
