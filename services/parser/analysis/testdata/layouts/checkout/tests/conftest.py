from mypkg.test import Client


def make_client():
    client = Client()
    return client
