import json


class Engine:
    def run(self, value):
        cleaned = self.clean(value)
        return json.dumps({"value": cleaned})

    def clean(self, value):
        value = value.strip()
        return value.lower()
