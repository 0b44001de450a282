-- A studying citizen's deferral (Art. 41.1.g Luật NVQS 2015) depends on full-time study and on the
-- first course at a level: both are facts of the record, NULL when not recorded (the engine then
-- takes the level alone, as before these columns).
ALTER TABLE citizen ADD COLUMN studying_full_time BIGINT;
ALTER TABLE citizen ADD COLUMN studying_first_course BIGINT;
-- A list's approval is an act with its own number and date (the approving decision), printed on
-- the approved list; rows approved before keep them empty.
ALTER TABLE nvqs_list_approval ADD COLUMN act_number TEXT;
ALTER TABLE nvqs_list_approval ADD COLUMN act_date TEXT;
