CREATE TABLE `container_status` (
	`pod` text NOT NULL,
	`pod_uid` text NOT NULL,
	`container` text NOT NULL,
	`container_id` text,
	`state` text NOT NULL,
	`reason` text,
	`message` text,
	`ready` integer DEFAULT false NOT NULL,
	`started` integer DEFAULT false NOT NULL,
	`restart_count` integer DEFAULT 0 NOT NULL,
	`backoff_step` integer DEFAULT 0 NOT NULL,
	`next_restart_at` integer,
	`last_restart_at` integer,
	`started_at` integer,
	`last_exit_code` integer,
	`last_reason` text,
	`last_finished_at` integer,
	`last_oom_killed` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`pod`, `container`)
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`reason` text NOT NULL,
	`object_kind` text NOT NULL,
	`object_name` text NOT NULL,
	`node` text,
	`message` text NOT NULL,
	`count` integer DEFAULT 1 NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_object` ON `events` (`object_kind`,`object_name`);--> statement-breakpoint
CREATE INDEX `events_last_seen` ON `events` (`last_seen`);--> statement-breakpoint
CREATE INDEX `events_key` ON `events` (`object_kind`,`object_name`,`reason`);--> statement-breakpoint
CREATE TABLE `journal` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`op` text NOT NULL,
	`args` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`acquired_at` integer NOT NULL,
	`renewed_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`epoch` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `nodes` (
	`name` text PRIMARY KEY NOT NULL,
	`docker` text NOT NULL,
	`identity_file` text,
	`socket_path` text,
	`labels` text NOT NULL,
	`taints` text NOT NULL,
	`unschedulable` integer DEFAULT false NOT NULL,
	`state` text NOT NULL,
	`message` text,
	`cpu_milli` integer DEFAULT 0 NOT NULL,
	`memory_bytes` integer DEFAULT 0 NOT NULL,
	`docker_version` text,
	`last_heartbeat_at` integer,
	`ready_since` integer,
	`lost_at` integer,
	`state_since` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `objects` (
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`api_version` text NOT NULL,
	`generation` integer NOT NULL,
	`spec` text NOT NULL,
	`spec_hash` text NOT NULL,
	`source_file` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`kind`, `name`)
);
--> statement-breakpoint
CREATE TABLE `observed_containers` (
	`id` text PRIMARY KEY NOT NULL,
	`node` text NOT NULL,
	`name` text NOT NULL,
	`pod` text NOT NULL,
	`pod_uid` text NOT NULL,
	`container` text NOT NULL,
	`spec_hash` text NOT NULL,
	`image` text NOT NULL,
	`state` text NOT NULL,
	`exit_code` integer,
	`started_at` integer,
	`finished_at` integer,
	`ip` text,
	`observed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `observed_node` ON `observed_containers` (`node`);--> statement-breakpoint
CREATE INDEX `observed_pod` ON `observed_containers` (`pod`);--> statement-breakpoint
CREATE TABLE `pods` (
	`name` text PRIMARY KEY NOT NULL,
	`uid` text NOT NULL,
	`owner_kind` text NOT NULL,
	`owner_name` text NOT NULL,
	`template_hash` text,
	`labels` text NOT NULL,
	`annotations` text NOT NULL,
	`spec` text NOT NULL,
	`spec_hash` text NOT NULL,
	`node` text,
	`phase` text NOT NULL,
	`reason` text,
	`message` text,
	`ready` integer DEFAULT false NOT NULL,
	`restart_count` integer DEFAULT 0 NOT NULL,
	`ip` text,
	`created_at` integer NOT NULL,
	`scheduled_at` integer,
	`started_at` integer,
	`deletion_at` integer,
	`deletion_reason` text
);
--> statement-breakpoint
CREATE INDEX `pods_node` ON `pods` (`node`);--> statement-breakpoint
CREATE INDEX `pods_owner` ON `pods` (`owner_kind`,`owner_name`);