// The pubky.app records as JSON (pubky-app-specs 0.x, the `/pub/pubky.app/` tree).

export const PUBKY_APP_ROOT = '/pub/pubky.app/';

export const POST_KINDS = ['short', 'long', 'image', 'video', 'link', 'file', 'collection'] as const;
export type PostKind = (typeof POST_KINDS)[number];

export interface UserLink {
  title: string;
  url: string;
}

/** `/pub/pubky.app/profile.json` */
export interface AppUser {
  name: string;
  bio?: string | null;
  image?: string | null;
  links?: UserLink[] | null;
  status?: string | null;
}

/** `/pub/pubky.app/posts/<timestamp id>` */
export interface AppPost {
  content: string;
  kind: PostKind;
  /** `pubky://` URI of the post this replies to. */
  parent?: string | null;
  /** A repost: the kind and URI of the reposted post. */
  embed?: { kind: PostKind; uri: string } | null;
  attachments?: string[] | null;
  lock?: string | null;
}

/** `/pub/pubky.app/tags/<hash id of "uri:label">` */
export interface AppTag {
  uri: string;
  label: string;
  /** Microseconds since the epoch. */
  created_at: number;
}

/** `/pub/pubky.app/bookmarks/<hash id of uri>` */
export interface AppBookmark {
  uri: string;
  created_at: number;
}

/** `/pub/pubky.app/follows/<user z32>` and `/pub/pubky.app/mutes/<user z32>` */
export interface AppFollow {
  created_at: number;
}
export type AppMute = AppFollow;

/** `/pub/pubky.app/files/<timestamp id>`: metadata pointing at a blob. */
export interface AppFile {
  name: string;
  created_at: number;
  src: string;
  content_type: string;
  size: number;
}

/** `/pub/pubky.app/last_read` (milliseconds, unlike the other records). */
export interface AppLastRead {
  timestamp: number;
}

/** What a path under `/pub/pubky.app/` is, from its shape alone. */
export type AppPath =
  | { kind: 'user' }
  | { kind: 'post'; id: string }
  | { kind: 'tag'; id: string }
  | { kind: 'bookmark'; id: string }
  | { kind: 'follow'; id: string }
  | { kind: 'mute'; id: string }
  | { kind: 'file'; id: string }
  | { kind: 'blob'; id: string }
  | { kind: 'feed'; id: string }
  | { kind: 'last_read' };

export type AppRecord =
  | { kind: 'user'; value: AppUser }
  | { kind: 'post'; id: string; value: AppPost }
  | { kind: 'tag'; id: string; value: AppTag }
  | { kind: 'bookmark'; id: string; value: AppBookmark }
  | { kind: 'follow'; id: string; value: AppFollow }
  | { kind: 'mute'; id: string; value: AppMute }
  | { kind: 'file'; id: string; value: AppFile }
  | { kind: 'blob'; id: string }
  | { kind: 'feed'; id: string; value: unknown }
  | { kind: 'last_read'; value: AppLastRead };
