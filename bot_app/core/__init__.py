"""What every feature shares and nothing Teams-specific: the translated turn, the answers a
handler gives, the router, typed card payloads, the transaction runner and outbox posting."""
