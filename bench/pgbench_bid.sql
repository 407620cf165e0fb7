-- The bid transaction's statements issued directly (pgbench -f; -D plo/pn = auction ids, ulo/un = bidder ids).
-- Same locks and writes as auctions.services.place_bid: the auction row FOR UPDATE, the registration and
-- priority reads, the bid insert, the auction update, the audit append under the audit_head lock.
\set pid random(:plo, :plo + :pn - 1)
\set uid random(:ulo, :ulo + :un - 1)
BEGIN;
SELECT id, status, method, direction, start_price, increment, current_price, leader_id, leader_is_priority,
       bid_count, ends_at, extensions_used FROM projects WHERE id = :pid FOR UPDATE;
SELECT id, status FROM registrations WHERE project_id = :pid AND bidder_id = :uid;
SELECT project_id FROM project_priority_holders WHERE project_id = :pid AND user_id = :uid;
INSERT INTO bids (project_id, seq, registration_id, bidder_id, amount, is_priority, at, ends_at_after, ip)
  SELECT p.id, p.bid_count + 1, r.id, :uid, coalesce(p.current_price + p.increment, p.start_price), false,
         now(), p.ends_at, '127.0.0.1'
  FROM projects p JOIN registrations r ON r.project_id = p.id AND r.bidder_id = :uid WHERE p.id = :pid;
UPDATE projects SET current_price = coalesce(current_price + increment, start_price), leader_id = :uid,
       leader_is_priority = false, bid_count = bid_count + 1 WHERE id = :pid;
SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE;
INSERT INTO audit_log (seq, at, actor, action, object, data, prev_hash, hash)
  SELECT seq + 1, now(), 'bench', 'bid.place', 'project:' || :pid,
         '{"amount": "810.00", "bidder_no": "123456", "ends_at": "", "priority": false, "seq": 1}', hash,
         md5(random()::text) || md5(random()::text) FROM audit_head WHERE id = 1;
UPDATE audit_head SET seq = seq + 1, hash = (SELECT l.hash FROM audit_log l WHERE l.seq = audit_head.seq + 1)
 WHERE id = 1;
COMMIT;
