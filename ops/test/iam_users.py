#!/usr/bin/env python3
"""Creates IAM users on a moto server that enforces IAM (started by emulator.py with INITIAL_NO_AUTH_ACTION_COUNT=3),
one per policy file, and prints their access keys as JSON on stdout: {"admin": {"id": ..., "secret": ...}, NAME: ...}.

The first three requests (CreateUser, PutUserPolicy, CreateAccessKey of an "admin" user allowed everything) are the
three moto lets through unchecked; every later request, these users' and everyone's, is checked against the
policies of the user whose key signed it. http://docs.getmoto.org/en/latest/docs/iam.html

usage: iam_users.py ENDPOINT NAME=POLICY_FILE ...
"""
import json
import sys

import boto3
from botocore.config import Config

endpoint, specs = sys.argv[1], sys.argv[2:]
# No retries: a repeated request would use up one of the three unchecked requests, and moto answers at once.
config = Config(retries={"max_attempts": 1, "mode": "standard"})


def iam(key_id, secret):
    return boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id,
                        aws_secret_access_key=secret, config=config)


def user(client, name, policy):
    client.create_user(UserName=name)
    client.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=policy)
    key = client.create_access_key(UserName=name)["AccessKey"]
    return {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


everything = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
keys = {"admin": user(iam("AKIDBOOTSTRAP", "bootstrap"), "admin", everything)}
admin = iam(keys["admin"]["id"], keys["admin"]["secret"])
for spec in specs:
    name, _, path = spec.partition("=")
    with open(path) as file:
        keys[name] = user(admin, name, file.read())
print(json.dumps(keys))
