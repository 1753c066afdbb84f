"""The test cloud (the second SeaweedFS) through its S3 API: CLOUD_ENDPOINT, CLOUD_ACCESS_KEY, CLOUD_SECRET_KEY from
the environment (never the command line).
  cloud_bucket.py create BUCKET [KEY=VALUE...]   create the bucket (if missing) and put objects
  cloud_bucket.py list BUCKET                    print {key: content} as JSON ({} for a missing bucket: null)"""
import json
import os
import sys

import boto3

client = boto3.client("s3", endpoint_url=os.environ["CLOUD_ENDPOINT"], region_name="us-east-1",
                      aws_access_key_id=os.environ["CLOUD_ACCESS_KEY"],
                      aws_secret_access_key=os.environ["CLOUD_SECRET_KEY"])
action, bucket = sys.argv[1], sys.argv[2]
if action == "create":
    try:
        client.create_bucket(Bucket=bucket)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    for pair in sys.argv[3:]:
        key, value = pair.split("=", 1)
        client.put_object(Bucket=bucket, Key=key, Body=value.encode())
    print("ok")
else:
    try:
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents") or []]
    except client.exceptions.NoSuchBucket:
        print("null")
        sys.exit(0)
    print(json.dumps({k: client.get_object(Bucket=bucket, Key=k)["Body"].read().decode() for k in keys}))
