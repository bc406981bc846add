"""The Manager API (B-side, ``{host}/openapi-b``): white-label back office on the same core as the Bridge client.

What differs from the Bridge API lives in one module each: the token (:mod:`.tokens`), the MD5 signature
inside the body (:mod:`.signing`) and the optional RSA body encryption (:mod:`.encryption`).
"""
