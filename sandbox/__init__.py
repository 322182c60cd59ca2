"""The sandbox: the real bot plus a stand-in Slack workspace in the browser."""
