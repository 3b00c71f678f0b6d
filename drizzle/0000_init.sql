CREATE TABLE "allowed_users_config" (
	"guild_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "allowed_users_config_guild_id_user_id_pk" PRIMARY KEY("guild_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "forum_config" (
	"guild_id" bigint PRIMARY KEY NOT NULL,
	"help_forum" boolean DEFAULT false NOT NULL,
	"help_forum_category" varchar(100),
	"help_thread_auto_close" boolean DEFAULT false NOT NULL,
	"help_thread_auto_close_days" integer,
	"help_thread_notify" boolean DEFAULT false NOT NULL,
	"help_thread_notify_roles" text[] DEFAULT '{}' NOT NULL,
	"help_thread_notify_days" integer,
	"help_thread_sync" boolean DEFAULT false NOT NULL,
	"showcase_forum" boolean DEFAULT false NOT NULL,
	"showcase_forum_category" varchar(100),
	"showcase_thread_auto_close" boolean DEFAULT false NOT NULL,
	"showcase_thread_auto_close_days" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "github_config" (
	"guild_id" bigint PRIMARY KEY NOT NULL,
	"discussion_sync" boolean DEFAULT false NOT NULL,
	"github_organization" varchar(100),
	"github_repository" varchar(100),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "guild" (
	"guild_id" bigint PRIMARY KEY NOT NULL,
	"guild_name" varchar(100) NOT NULL,
	"prefix" varchar(5) DEFAULT '!' NOT NULL,
	"help_channel_id" bigint,
	"showcase_channel_id" bigint,
	"sync_label" varchar(100),
	"issue_linking" boolean DEFAULT false NOT NULL,
	"comment_linking" boolean DEFAULT false NOT NULL,
	"pep_linking" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "so_tags_config" (
	"guild_id" bigint NOT NULL,
	"tag_name" varchar(50) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "so_tags_config_guild_id_tag_name_pk" PRIMARY KEY("guild_id","tag_name")
);
--> statement-breakpoint
ALTER TABLE "allowed_users_config" ADD CONSTRAINT "allowed_users_config_guild_id_guild_guild_id_fk" FOREIGN KEY ("guild_id") REFERENCES "public"."guild"("guild_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "forum_config" ADD CONSTRAINT "forum_config_guild_id_guild_guild_id_fk" FOREIGN KEY ("guild_id") REFERENCES "public"."guild"("guild_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "github_config" ADD CONSTRAINT "github_config_guild_id_guild_guild_id_fk" FOREIGN KEY ("guild_id") REFERENCES "public"."guild"("guild_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "so_tags_config" ADD CONSTRAINT "so_tags_config_guild_id_guild_guild_id_fk" FOREIGN KEY ("guild_id") REFERENCES "public"."guild"("guild_id") ON DELETE cascade ON UPDATE no action;