-- The bid request's statements issued directly (pgbench -f; -D plo/pn = auction ids, ulo/un = bidder ids), the
-- same as auctions.bidstore and trading.accounts.principal_for_token send on PostgreSQL: the token check, the
-- auction row FOR UPDATE read with the bidder's registration and priority right, and ONE write statement
-- (auction update, bid insert, audit append to the project's own chain under its head row's lock, sha256 computed in SQL), then COMMIT.
-- Unlike a bidder, the transaction computes the next amount inside the lock, so every one is accepted.
\set pid random(:plo, :plo + :pn - 1)
\set uid random(:ulo, :ulo + :un - 1)
BEGIN;
SELECT u.id, u.role, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id
 WHERE t.user_id = :uid AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active;
SELECT p.method, p.direction, p.status, p.start_price, p.increment, p.bidding_start,
       coalesce(p.ends_at, p.bidding_end), coalesce(p.extension_seconds, 0), p.max_extensions, p.reserve_price,
       p.current_price, p.leader_id, coalesce(p.leader_is_priority, false), coalesce(p.bid_count, 0),
       coalesce(p.extensions_used, 0), r.id, r.status, r.bidder_no,
       EXISTS (SELECT 1 FROM project_priority_holders h WHERE h.project_id = p.id AND h.user_id = :uid)
  FROM projects p LEFT JOIN registrations r ON r.project_id = p.id AND r.bidder_id = :uid
 WHERE p.id = :pid
   FOR UPDATE OF p;
WITH bid_upd AS (
  UPDATE projects SET current_price = coalesce(current_price + increment, start_price), leader_id = :uid,
         leader_is_priority = false, bid_count = coalesce(bid_count, 0) + 1, ends_at = ends_at,
         extensions_used = extensions_used
   WHERE id = :pid
  RETURNING current_price, bid_count, ends_at),
bid_ins AS (
  INSERT INTO bids (project_id, seq, registration_id, bidder_id, amount, is_priority, at, ends_at_after, ip)
  SELECT :pid, u.bid_count, r.id, :uid, u.current_price, false, now(), u.ends_at, '127.0.0.1'
    FROM bid_upd u JOIN registrations r ON r.project_id = :pid AND r.bidder_id = :uid),
audit_old AS (SELECT seq, hash FROM audit_chains WHERE chain = 'project:' || :pid FOR UPDATE),
audit_new AS (
  UPDATE audit_chains AS h
     SET seq = audit_old.seq + 1,
         hash = encode(sha256(convert_to(audit_old.hash || '{"action":"bid.place","actor":"bench","at":"","chain":"project:' || :pid || '","data":{},"object":"project:' || :pid || '","seq":' || (audit_old.seq + 1)::text || '}', 'UTF8')), 'hex')
    FROM audit_old WHERE h.chain = 'project:' || :pid
  RETURNING h.seq AS seq, h.hash AS hash, audit_old.hash AS prev_hash)
INSERT INTO audit_log (chain, chain_seq, at, actor, action, object, data, prev_hash, hash)
SELECT 'project:' || :pid, seq, now(), 'bench', 'bid.place', 'project:' || :pid,
       CAST('{"amount": "810.00", "bidder_no": "123456", "ends_at": "", "priority": false, "seq": 1}' AS JSON),
       prev_hash, hash FROM audit_new
RETURNING seq, prev_hash, hash;
COMMIT;
