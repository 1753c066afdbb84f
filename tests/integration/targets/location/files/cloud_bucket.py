"""Create a bucket in the test cloud (the second SeaweedFS): CLOUD_ENDPOINT, CLOUD_ACCESS_KEY, CLOUD_SECRET_KEY
from the environment, the bucket name as the argument. Prints created or exists."""
import os
import sys

import boto3

client = boto3.client("s3", endpoint_url=os.environ["CLOUD_ENDPOINT"], region_name="us-east-1",
                      aws_access_key_id=os.environ["CLOUD_ACCESS_KEY"],
                      aws_secret_access_key=os.environ["CLOUD_SECRET_KEY"])
try:
    client.create_bucket(Bucket=sys.argv[1])
    print("created")
except client.exceptions.BucketAlreadyOwnedByYou:
    print("exists")
