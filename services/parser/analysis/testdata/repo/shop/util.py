import os.path

__all__ = ["slugify", "retry"]


def slugify(text):
    """Lower-case text and join words with dashes."""
    return "-".join(text.lower().split())


def retry(times):
    """Decorator factory: call the function up to `times` times."""
    def decorate(fn):
        def wrapper(*args, **kwargs):
            for _ in range(times):
                try:
                    return fn(*args, **kwargs)
                except OSError:
                    pass
            return fn(*args, **kwargs)
        return wrapper
    return decorate


def data_path(name):
    return os.path.join(os.path.dirname(__file__), name)


def _private():
    pass
