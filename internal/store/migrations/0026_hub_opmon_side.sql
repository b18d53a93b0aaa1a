-- Which side of the exchange this hub was, as X-Road's securityServerType
-- says: "Client" when it took the call from a consumer (its own, or to
-- forward to a peer hub), "Producer" when a peer hub called it for one of
-- its services (federation).
ALTER TABLE hub_opmon ADD COLUMN security_server_type TEXT NOT NULL DEFAULT 'Client';
