/** What some sources need to know about how an organisation writes its logs (ittmon.yaml `sources:`). */
export interface SourceSettings {
  samba?: {
    /** The `full_audit:prefix` in smb.conf; default `%u|%I|%m|%S`. */
    prefix?: string;
    /** The file server's name when the syslog line does not carry it. */
    host?: string;
    /** The year of RFC 3164 syslog times (which have none); default: the latest year not in the future. */
    year?: number;
  };
  m365?: {
    /** Sensitivity label GUID → name (from Purview), so that label events classify by name. */
    labels?: Record<string, string>;
  };
}
