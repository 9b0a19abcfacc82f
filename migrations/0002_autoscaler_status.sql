CREATE TABLE `autoscaler_status` (
	`name` text PRIMARY KEY NOT NULL,
	`observed_generation` integer NOT NULL,
	`current_replicas` integer NOT NULL,
	`desired_replicas` integer NOT NULL,
	`current_metrics` text NOT NULL,
	`last_scale_time` integer,
	`conditions` text NOT NULL,
	`recommendations` text NOT NULL,
	`scale_events` text NOT NULL,
	`synced_at` integer NOT NULL
);
