-- Alerting, continued (issue #12).

-- Why an alert was acknowledged, on the alert and on the history row the acknowledgement adds
-- (kind 'acknowledged', with who and why).
ALTER TABLE alerts ADD COLUMN acked_comment TEXT;
ALTER TABLE alert_history ADD COLUMN acked_by TEXT;
ALTER TABLE alert_history ADD COLUMN acked_comment TEXT;
