def café():
    return "latin-1 text é"
