import requests


def normalise(value):
    value = value.strip()
    return requests.utils.quote(value)


def trim(text):
    return text.strip()
