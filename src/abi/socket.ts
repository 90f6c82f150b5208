/**
 * The socket constants socketpair(2) takes (include/linux/socket.h AF_UNIX; include/linux/net.h
 * SOCK_STREAM; SOCK_NONBLOCK and SOCK_CLOEXEC are O_NONBLOCK and O_CLOEXEC, as on x86-64) and
 * the socket file type of st_mode (uapi/linux/stat.h S_IFSOCK).
 */
import { O_CLOEXEC, O_NONBLOCK } from './fd.ts';

export const AF_UNIX = 1;
export const AF_INET = 2;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = O_NONBLOCK;
export const SOCK_CLOEXEC = O_CLOEXEC;
/** The socket type bits of socketpair's `type` (the rest are SOCK_NONBLOCK and SOCK_CLOEXEC). */
export const SOCK_TYPE_MASK = 0xf;
export const S_IFSOCK = 0o140000;
/**
 * A unix stream socket's send buffer: net.core.wmem_default, 212992 bytes (SK_WMEM_MAX,
 * include/net/sock.h), the most a writer may have queued unread at its peer.
 */
export const UNIX_STREAM_BUFFER_BYTES = 212_992;
