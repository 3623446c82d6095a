-- The services' inboxes a page at a time (issue 13's benchmark: 100,000 requests in one service).
-- Each box reads its page straight off an index in its order (the urgent first, then the
-- longest waiting).
DROP INDEX requests_of_service;
CREATE INDEX requests_inbox_new ON requests (service, urgency DESC, submitted_at, id)
    WHERE status IN ('submitted', 'received') AND assigned_to IS NULL;
CREATE INDEX requests_inbox_mine ON requests (service, assigned_to, urgency DESC, submitted_at, id)
    WHERE status <> 'draft' AND status <> 'closed';
CREATE INDEX requests_inbox_by_status ON requests (service, status, urgency DESC, submitted_at, id)
    WHERE status <> 'draft';

-- How many requests each service's boxes hold, shown on every page of the box: the closed box
-- holds the service's whole history, and counting it there grew with it (11 ms at 84,000). Kept
-- by a trigger in the same transaction as the requests it counts; `mine` is each member's own
-- backlog, counted from its index. Which box a request is in: services/requests/inboxes.py.
CREATE TABLE box_counts (
    service   text NOT NULL,
    box       text NOT NULL CHECK (box IN ('new', 'waiting', 'closed')),
    requests  bigint NOT NULL,
    PRIMARY KEY (service, box)
) WITH (fillfactor = 50);  -- room for HOT updates: only the key is indexed

CREATE FUNCTION inbox_box(status text, assigned_to uuid) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN status IN ('submitted', 'received') AND assigned_to IS NULL THEN 'new'
        WHEN status = 'information_needed' THEN 'waiting'
        WHEN status = 'closed' THEN 'closed'
    END
$$;

INSERT INTO box_counts (service, box, requests)
SELECT service, inbox_box(status, assigned_to), count(*) FROM requests
WHERE inbox_box(status, assigned_to) IS NOT NULL GROUP BY 1, 2;

-- Once per statement, from the rows it changed (a COPY of thousands included): the difference
-- for each box it touched, the boxes in one order (two statements never wait on each other's
-- boxes crosswise).
CREATE FUNCTION count_boxes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO box_counts AS kept (service, box, requests)
        SELECT service, inbox_box(status, assigned_to), count(*) FROM added
        WHERE inbox_box(status, assigned_to) IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (service, box) DO UPDATE SET requests = kept.requests + excluded.requests;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO box_counts AS kept (service, box, requests)
        SELECT service, box, sum(change) FROM (
            SELECT service, inbox_box(status, assigned_to) AS box, 1 AS change FROM added
            UNION ALL
            SELECT service, inbox_box(status, assigned_to), -1 FROM removed
        ) AS changes
        WHERE box IS NOT NULL GROUP BY 1, 2 HAVING sum(change) <> 0 ORDER BY 1, 2
        ON CONFLICT (service, box) DO UPDATE SET requests = kept.requests + excluded.requests;
    ELSE
        INSERT INTO box_counts AS kept (service, box, requests)
        SELECT service, inbox_box(status, assigned_to), -count(*) FROM removed
        WHERE inbox_box(status, assigned_to) IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (service, box) DO UPDATE SET requests = kept.requests + excluded.requests;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER requests_counted_in
    AFTER INSERT ON requests REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION count_boxes();
CREATE TRIGGER requests_counted_again
    AFTER UPDATE ON requests REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION count_boxes();
CREATE TRIGGER requests_counted_out
    AFTER DELETE ON requests REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION count_boxes();
