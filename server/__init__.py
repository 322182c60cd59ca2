"""The running service: the app factory that wires the bot's services to Slack's listeners
(``factory``), and the production HTTP server around it (``web``).

The top of the layers: ``app.py`` and the sandbox use it; it may import ``handlers``,
``bot`` and ``storage``, and nothing imports it but them (and the tests and the bench).
"""
