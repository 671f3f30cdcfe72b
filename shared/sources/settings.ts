/** What some sources need to know about how an organisation writes its logs (ittmon.yaml `sources:`). */
export interface SourceSettings {
  samba?: {
    /** The `full_audit:prefix` in smb.conf; default `%u|%I|%m|%S`. */
    prefix?: string;
    /** The file server's name when the syslog line does not carry it. */
    host?: string;
    /** The year of RFC 3164 syslog times (which have none); default: the latest year not in the future. */
    year?: number;
    /**
     * Share name → the directory it exports (smb.conf `path`), to turn the absolute paths that
     * full_audit logs into share-relative ones. Without it, a path holding the share name as a
     * directory is cut after that directory (`/srv/shares/public/IT/x.pdf` on share `public` → `IT/x.pdf`).
     */
    shares?: Record<string, string>;
  };
  m365?: {
    /** Sensitivity label GUID → name (from Purview), so that label events classify by name. */
    labels?: Record<string, string>;
  };
}
