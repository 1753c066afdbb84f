"""The files the objectstore role writes for the operator (objectstore_client_dir, docs/objectstore.md), read by the
object-store tests and benchmarks: the endpoint URL, the site CA bundle and the admin identity's keys."""
import configparser
import os


def read(path):
    """{endpoint, ca, key, secret} of the deployed site whose client directory is PATH."""
    creds = configparser.ConfigParser(interpolation=None)   # secrets may hold "%"
    creds.read(os.path.join(path, "aws-credentials"), encoding="utf-8")
    profile = creds["metalstore"]   # the profile the role writes (roles/objectstore/tasks/client.yml)
    with open(os.path.join(path, "endpoint"), encoding="utf-8") as f:
        endpoint = f.read().strip()
    return {"endpoint": endpoint, "ca": os.path.join(path, "ca.crt"),
            "key": profile["aws_access_key_id"], "secret": profile["aws_secret_access_key"]}
