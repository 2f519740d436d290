/** The row shape of `users` used across stores. */
export interface UserRow {
  id: number;
  public_key: string;
  disabled: number;
  used_bytes: number;
  created_at: number;
  quota_storage_mb: number | null;
  quota_rate_read: string | null;
  quota_rate_write: string | null;
  quota_rate_read_burst: number | null;
  quota_rate_write_burst: number | null;
  allowed_write_paths: string | null;
}
