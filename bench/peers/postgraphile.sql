-- Summary fields for PostGraphile, as its computed columns: the same rules as the API's summaries
-- (lifetime value excludes cancelled and refunded orders; open tickets are OPEN or PENDING).
CREATE SCHEMA IF NOT EXISTS postgraphile;

CREATE OR REPLACE FUNCTION postgraphile.customers_lifetime_value(c profiles.customers) RETURNS numeric
LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(total) FILTER (WHERE status NOT IN ('cancelled', 'refunded')), 0)
  FROM orders.orders WHERE customer_id = c.id
$$;

CREATE OR REPLACE FUNCTION postgraphile.customers_order_count(c profiles.customers) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT count(*)::integer FROM orders.orders WHERE customer_id = c.id
$$;

CREATE OR REPLACE FUNCTION postgraphile.customers_last_order_at(c profiles.customers) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT max(placed_at) FROM orders.orders WHERE customer_id = c.id
$$;

CREATE OR REPLACE FUNCTION postgraphile.customers_open_ticket_count(c profiles.customers) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT count(*)::integer FROM tickets.tickets WHERE customer_id = c.id AND status IN ('new', 'open', 'pending')
$$;
