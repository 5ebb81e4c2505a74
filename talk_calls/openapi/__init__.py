"""The app's OpenAPI 3 description: payload shapes (``shapes``), what each endpoint reads and
answers (``operations``), and the drf-spectacular schema class and generator that put them
together from the views (``schema``). Served by ``views.docs`` (``talk_calls.docs_urls``).
"""
