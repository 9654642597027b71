-- Faults: behaviour overrides by container image (the ecsim.* label syntax),
-- set by scenarios and chaos runs. A task takes them when it is created, so
-- a restart keeps both the overrides and the tasks that took them. pattern
-- is an image name, or a prefix ending in '*'.
CREATE TABLE image_behaviours (
	pattern	TEXT NOT NULL,
	key	TEXT NOT NULL,
	value	TEXT NOT NULL,
	PRIMARY KEY (pattern, key)
) STRICT;
