from unittest import TestCase

from mypkg.test import Client


class BaseCase(TestCase):
    def client(self):
        client = Client()
        return client


class ClientChecks(BaseCase):
    def check_open(self):
        client = self.client()
        self.assertEqual(client.open("a"), "A")
