"""One S3 call with the keys of an AWS credentials file: s3call.py FILE ENDPOINT BUCKET get|put -> ok or the error code."""
import configparser
import sys

import boto3
import botocore.exceptions

path, endpoint, bucket, op = sys.argv[1:5]
conf = configparser.ConfigParser()
conf.read(path)
keys = conf[conf.sections()[0]]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=keys["aws_access_key_id"],
                  aws_secret_access_key=keys["aws_secret_access_key"])
try:
    if op == "get":
        s3.get_object(Bucket=bucket, Key="k")
    else:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x")
    print("ok")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
