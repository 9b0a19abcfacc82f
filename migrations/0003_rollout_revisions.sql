CREATE TABLE `podset_revisions` (
	`podset` text NOT NULL,
	`revision` integer NOT NULL,
	`template_hash` text NOT NULL,
	`template` text NOT NULL,
	`change_cause` text,
	`created_at` integer NOT NULL,
	`failed_at` integer,
	PRIMARY KEY(`podset`, `revision`)
);
--> statement-breakpoint
CREATE INDEX `podset_revisions_hash` ON `podset_revisions` (`podset`,`template_hash`);--> statement-breakpoint
CREATE TABLE `podset_status` (
	`podset` text PRIMARY KEY NOT NULL,
	`paused` integer DEFAULT false NOT NULL,
	`observed_generation` integer DEFAULT 0 NOT NULL,
	`revision` integer DEFAULT 0 NOT NULL,
	`replicas` integer DEFAULT 0 NOT NULL,
	`updated_replicas` integer DEFAULT 0 NOT NULL,
	`ready_replicas` integer DEFAULT 0 NOT NULL,
	`available_replicas` integer DEFAULT 0 NOT NULL,
	`conditions` text DEFAULT '[]' NOT NULL,
	`updated_at` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE `pods` ADD `ready_since` integer;