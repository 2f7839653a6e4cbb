"""The Matrix adapter (matrix-nio, end-to-end encryption through vodozemac).

`translate` is pure (nio events → core events, messages → event content) and
imports no network code; `client.MatrixAdapter` is the thin part that logs in,
syncs and sends. Nothing here decides what a member sees: the core does.
"""
