/*
 * seqpacket: AF_UNIX SOCK_SEQPACKET sockets for Node (N-API), the way XCM's
 * ux/uxf transports use them, plus a one-shot AF_UNIX SOCK_DGRAM sender, and
 * the server side of tcp: (listening and accepted TCP sockets read into and
 * written from the caller's buffers: lib/transport/native-tcp-connection.ts).
 *
 * Readiness is driven by libuv (uv_poll_t on the Node event loop); JS gets a
 * callback (events) with bit 1 = readable, 2 = writable, 4 = error/hangup.
 *
 * Errors are thrown as Error objects with `code` set to the errno name
 * (e.g. "EADDRINUSE") and `errno` set to the positive errno value.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_BACKLOG 1024 /* XCM uses 32; see lib/transport/ip-server.ts */
#define SNDBUF_SIZE (256 * 1024)
#define MAX_RECORD (262144 + 1)

static char recv_buf[MAX_RECORD];

static const char *errno_code(int err)
{
    switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOTCONN: return "ENOTCONN";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case ENOTDIR: return "ENOTDIR";
    case EPROTO: return "EPROTO";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return "EIO";
    }
}

static napi_value throw_errno(napi_env env, const char *op, int err)
{
    char msg[256];
    napi_value code, message, error, errnum;
    snprintf(msg, sizeof(msg), "%s: %s", op, strerror(err));
    napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    napi_create_int32(env, err, &errnum);
    napi_set_named_property(env, error, "errno", errnum);
    napi_throw(env, error);
    return NULL;
}

static napi_value throw_type(napi_env env, const char *msg)
{
    napi_throw_type_error(env, NULL, msg);
    return NULL;
}

static napi_value make_int(napi_env env, int32_t v)
{
    napi_value r;
    napi_create_int32(env, v, &r);
    return r;
}

static napi_value make_undefined(napi_env env)
{
    napi_value r;
    napi_get_undefined(env, &r);
    return r;
}

/* Fill a sockaddr_un from a name buffer; abstract names get exact length. */
static int make_addr(napi_env env, napi_value name_v, bool abstract, struct sockaddr_un *sa, socklen_t *len)
{
    void *data;
    size_t n;
    bool is_buf = false;
    napi_is_buffer(env, name_v, &is_buf);
    if (!is_buf || napi_get_buffer_info(env, name_v, &data, &n) != napi_ok) {
        throw_type(env, "name must be a Buffer");
        return -1;
    }
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (n == 0 || n > sizeof(sa->sun_path) - 1 || memchr(data, 0, n) != NULL) {
        throw_errno(env, "address", EINVAL);
        return -1;
    }
    if (abstract) {
        memcpy(sa->sun_path + 1, data, n);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    } else {
        memcpy(sa->sun_path, data, n);
        *len = (socklen_t)sizeof(*sa);
    }
    return 0;
}

static int get_fd(napi_env env, napi_value v, int *fd)
{
    if (napi_get_value_int32(env, v, fd) != napi_ok) {
        throw_type(env, "fd must be a number");
        return -1;
    }
    return 0;
}

static void set_common_opts(int fd)
{
    int on = 1, sndbuf = SNDBUF_SIZE;
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
}

/* Bind and listen a new server socket: its fd, or (closed) an exception. */
static napi_value bind_listen(napi_env env, int fd, const struct sockaddr *sa, socklen_t len)
{
    if (bind(fd, sa, len) < 0) {
        int err = errno;
        close(fd);
        return throw_errno(env, "bind", err);
    }
    if (listen(fd, LISTEN_BACKLOG) < 0) {
        int err = errno;
        close(fd);
        return throw_errno(env, "listen", err);
    }
    return make_int(env, fd);
}

/* listen(name: Buffer, abstract: boolean): fd */
static napi_value js_listen(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2];
    bool abstract = false;
    struct sockaddr_un sa;
    socklen_t len;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2)
        return throw_type(env, "listen(name, abstract)");
    napi_get_value_bool(env, argv[1], &abstract);
    if (make_addr(env, argv[0], abstract, &sa, &len) < 0)
        return NULL;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return throw_errno(env, "socket", errno);
    set_common_opts(fd);
    return bind_listen(env, fd, (struct sockaddr *)&sa, len);
}

/* connect(name: Buffer, abstract: boolean, local: Buffer | null): fd */
static napi_value js_connect(napi_env env, napi_callback_info info)
{
    size_t argc = 3;
    napi_value argv[3];
    bool abstract = false;
    struct sockaddr_un sa, local;
    socklen_t len, local_len;
    napi_valuetype t = napi_undefined;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2)
        return throw_type(env, "connect(name, abstract, local?)");
    napi_get_value_bool(env, argv[1], &abstract);
    if (make_addr(env, argv[0], abstract, &sa, &len) < 0)
        return NULL;
    if (argc > 2)
        napi_typeof(env, argv[2], &t);
    bool has_local = t == napi_object;
    if (has_local && make_addr(env, argv[2], true, &local, &local_len) < 0)
        return NULL;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return throw_errno(env, "socket", errno);
    /* SO_PASSCRED before connect: the kernel autobinds a 5-hex abstract name. */
    set_common_opts(fd);
    if (has_local && bind(fd, (struct sockaddr *)&local, local_len) < 0) {
        int err = errno;
        close(fd);
        return throw_errno(env, "bind", err);
    }
    if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
        int err = errno;
        close(fd);
        return throw_errno(env, "connect", err);
    }
    return make_int(env, fd);
}

/* A pending connection's fd (non-blocking; accept4 retried on EINTR), -1 when none is pending, -2 on an error (errno).
   `peer` (may be NULL) gets the peer's address. */
static int accept_one(int fd, struct sockaddr_storage *peer)
{
    for (;;) {
        socklen_t len = sizeof(*peer);
        int c = accept4(fd, (struct sockaddr *)peer, peer != NULL ? &len : NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0)
            return c;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
            return -1;
        return -2;
    }
}

/* accept(fd): fd, or -1 when no connection is pending */
static napi_value js_accept(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    int fd;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    int c = accept_one(fd, NULL);
    if (c >= 0)
        set_common_opts(c);
    return c == -2 ? throw_errno(env, "accept", errno) : make_int(env, c);
}

/* recv(fd): Buffer (one record; length 0 = EOF), or null when nothing is readable.
   A record longer than 262144 bytes yields a Buffer of 262145 bytes. */
static napi_value js_recv(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1], result;
    int fd;
    void *data;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    for (;;) {
        struct iovec iov = { recv_buf, sizeof(recv_buf) };
        struct msghdr msg;
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n >= 0) {
            napi_create_buffer_copy(env, (size_t)n, recv_buf, &data, &result);
            return result;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            napi_get_null(env, &result);
            return result;
        }
        return throw_errno(env, "recv", errno);
    }
}

/* send(fd, buf): 1 when the record was queued by the kernel, 0 on EAGAIN */
static napi_value js_send(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2];
    int fd;
    void *data;
    size_t n;
    bool is_buf = false;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    napi_is_buffer(env, argv[1], &is_buf);
    if (!is_buf || napi_get_buffer_info(env, argv[1], &data, &n) != napi_ok)
        return throw_type(env, "payload must be a Buffer");
    for (;;) {
        ssize_t r = send(fd, data, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r >= 0)
            return make_int(env, 1);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return make_int(env, 0);
        return throw_errno(env, "send", errno);
    }
}

static napi_value name_result(napi_env env, struct sockaddr_un *sa, socklen_t len)
{
    napi_value obj, abs_v, name_v;
    void *data;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    bool abstract = len > off && sa->sun_path[0] == '\0';
    size_t n = 0;
    const char *start = sa->sun_path;
    if (abstract) {
        start = sa->sun_path + 1;
        n = len - off - 1;
    } else if (len > off) {
        n = strnlen(sa->sun_path, len - off);
    }
    napi_create_object(env, &obj);
    napi_get_boolean(env, abstract, &abs_v);
    napi_create_buffer_copy(env, n, start, &data, &name_v);
    napi_set_named_property(env, obj, "abstract", abs_v);
    napi_set_named_property(env, obj, "name", name_v);
    return obj;
}

static napi_value sock_name(napi_env env, napi_callback_info info, bool peer)
{
    size_t argc = 1;
    napi_value argv[1];
    int fd;
    struct sockaddr_un sa;
    socklen_t len = sizeof(sa);
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    memset(&sa, 0, sizeof(sa));
    int r = peer ? getpeername(fd, (struct sockaddr *)&sa, &len) : getsockname(fd, (struct sockaddr *)&sa, &len);
    if (r < 0)
        return throw_errno(env, peer ? "getpeername" : "getsockname", errno);
    if (len > sizeof(sa))
        len = sizeof(sa);
    return name_result(env, &sa, len);
}

/* peerName(fd) / localName(fd): { abstract: boolean, name: Buffer } */
static napi_value js_peer_name(napi_env env, napi_callback_info info) { return sock_name(env, info, true); }
static napi_value js_local_name(napi_env env, napi_callback_info info) { return sock_name(env, info, false); }

/* close(fd) */
static napi_value js_close(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    int fd;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    close(fd);
    return make_undefined(env);
}

/* unixDgramSend(path: string, buf: Buffer): one datagram to a file-system AF_UNIX socket */
static napi_value js_unix_dgram_send(napi_env env, napi_callback_info info)
{
    size_t argc = 2, plen = 0;
    napi_value argv[2];
    struct sockaddr_un sa;
    void *data;
    size_t n;
    bool is_buf = false;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2)
        return throw_type(env, "unixDgramSend(path, buf)");
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (napi_get_value_string_utf8(env, argv[0], sa.sun_path, sizeof(sa.sun_path), &plen) != napi_ok)
        return throw_type(env, "path must be a string");
    if (plen == 0 || plen >= sizeof(sa.sun_path) - 1)
        return throw_errno(env, "unixDgramSend", ENAMETOOLONG);
    napi_is_buffer(env, argv[1], &is_buf);
    if (!is_buf || napi_get_buffer_info(env, argv[1], &data, &n) != napi_ok)
        return throw_type(env, "payload must be a Buffer");
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return throw_errno(env, "socket", errno);
    ssize_t r;
    do {
        r = sendto(fd, data, n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa));
    } while (r < 0 && errno == EINTR);
    int err = errno;
    close(fd);
    if (r < 0)
        return throw_errno(env, "sendto", err);
    return make_undefined(env);
}


/* ---- tcp: server sockets and accepted connections ---- */

static int get_buffer(napi_env env, napi_value v, void **data, size_t *n)
{
    bool is_buf = false;
    napi_is_buffer(env, v, &is_buf);
    if (!is_buf || napi_get_buffer_info(env, v, data, n) != napi_ok) {
        throw_type(env, "expected a Buffer");
        return -1;
    }
    return 0;
}

/* XCM's keepalive on a tcp socket (1 s idle / 1 s interval / 3 probes), or off. */
static void set_tcp_keepalive(int fd, int on)
{
    int idle = 1, intvl = 1, cnt = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    if (on) {
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    }
}

/* XCM's options on a tcp socket: TCP_NODELAY, keepalive on, DSCP 40 (IP_TOS, and IPV6_TCLASS on an IPv6 socket). */
static void set_tcp_opts(int fd)
{
    int on = 1, tos = 160;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    set_tcp_keepalive(fd, 1);
    setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
    setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
}

/* Whether fd's option `name` is `want` (under `mask`); an IPv6 option an IPv4 socket does not have counts as set. */
static int sockopt_is(int fd, int level, int name, int want, int mask)
{
    int v = 0;
    socklen_t len = sizeof(v);
    if (getsockopt(fd, level, name, &v, &len) < 0)
        return level == IPPROTO_IPV6 && (errno == EOPNOTSUPP || errno == ENOPROTOOPT); /* IPV6_TCLASS, IPv4 socket */
    return (v & mask) == want;
}

/* Whether fd has every option set_tcp_opts sets (the ECN bits of the traffic class aside). */
static int has_tcp_opts(int fd)
{
    return sockopt_is(fd, IPPROTO_TCP, TCP_NODELAY, 1, ~0) && sockopt_is(fd, SOL_SOCKET, SO_KEEPALIVE, 1, ~0) &&
           sockopt_is(fd, IPPROTO_TCP, TCP_KEEPIDLE, 1, ~0) && sockopt_is(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1, ~0) &&
           sockopt_is(fd, IPPROTO_TCP, TCP_KEEPCNT, 3, ~0) && sockopt_is(fd, IPPROTO_IP, IP_TOS, 160, 0xfc) &&
           sockopt_is(fd, IPPROTO_IPV6, IPV6_TCLASS, 160, 0xfc);
}

/*
 * Whether an accepted tcp socket inherits its listener's options (Linux does: the connection is a clone of the
 * listening socket), so that an accept costs no setsockopt: -1 until the first accepted connection was checked
 * (with getsockopt, once per process), then 1, or 0 when the options are set on every accepted connection.
 * tcpListen sets them on every listening socket.
 */
static int tcp_opts_inherited = -1;

static void accepted_tcp_opts(int c)
{
    if (tcp_opts_inherited < 0)
        tcp_opts_inherited = has_tcp_opts(c);
    if (!tcp_opts_inherited)
        set_tcp_opts(c);
}

/* tcpListen(ip: string, port: number): fd. SO_REUSEADDR; an IPv6 socket is dual-stack (IPV6_V6ONLY off); XCM's tcp
   options, which the connections it accepts inherit. */
static napi_value js_tcp_listen(napi_env env, napi_callback_info info)
{
    size_t argc = 2, n = 0;
    napi_value argv[2];
    char ip[INET6_ADDRSTRLEN + 1];
    int32_t port = 0;
    struct sockaddr_storage ss;
    socklen_t len;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2 || napi_get_value_string_utf8(env, argv[0], ip, sizeof(ip), &n) != napi_ok ||
        napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 0 || port > 65535)
        return throw_type(env, "tcpListen(ip, port)");
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    int family;
    if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
        family = sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        len = sizeof(*sin);
    } else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
        family = sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        len = sizeof(*sin6);
    } else {
        return throw_errno(env, "address", EINVAL);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return throw_errno(env, "socket", errno);
    int on = 1, off = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    set_tcp_opts(fd); /* inherited by the connections it accepts (accepted_tcp_opts) */
    return bind_listen(env, fd, (struct sockaddr *)&ss, len);
}

/* An IP address (inet_ntop form) and port as { address, port } (EINVAL for another family). */
static napi_value inet_object(napi_env env, const struct sockaddr_storage *ss, napi_value fd_v)
{
    char ip[INET6_ADDRSTRLEN];
    int port;
    napi_value obj, addr_v, port_v;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
        port = ntohs(sin->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
        port = ntohs(sin6->sin6_port);
    } else {
        return throw_errno(env, "inetName", EINVAL);
    }
    napi_create_object(env, &obj);
    if (fd_v != NULL)
        napi_set_named_property(env, obj, "fd", fd_v);
    napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &addr_v);
    napi_create_int32(env, port, &port_v);
    napi_set_named_property(env, obj, "address", addr_v);
    napi_set_named_property(env, obj, "port", port_v);
    return obj;
}

/* tcpAcceptFrom(fd): { fd, address, port } of an accepted connection with XCM's options (see accepted_tcp_opts); the
   peer's address from accept4 (no getpeername); null when no connection is pending */
static napi_value js_tcp_accept_from(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1], result;
    int fd;
    struct sockaddr_storage ss;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    int c = accept_one(fd, &ss);
    if (c == -2)
        return throw_errno(env, "accept", errno);
    if (c < 0) {
        napi_get_null(env, &result);
        return result;
    }
    accepted_tcp_opts(c);
    result = inet_object(env, &ss, make_int(env, c));
    if (result == NULL)
        close(c);
    return result;
}

/* tcpOptionsSet(fd): whether fd has XCM's tcp options (TCP_NODELAY, keepalive 1 s / 1 s / 3, DSCP 40); for tests */
static napi_value js_tcp_options_set(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1], result;
    int fd;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    napi_get_boolean(env, has_tcp_opts(fd), &result);
    return result;
}

/* tcpKeepAlive(fd, on: boolean) */
static napi_value js_tcp_keepalive(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2];
    int fd;
    bool on = false;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    napi_get_value_bool(env, argv[1], &on);
    set_tcp_keepalive(fd, on ? 1 : 0);
    return make_undefined(env);
}

/* readInto(fd, buf: Buffer): bytes read (> 0), 0 at EOF, -1 when nothing is readable */
static napi_value js_read_into(napi_env env, napi_callback_info info)
{
    size_t argc = 2, n;
    napi_value argv[2];
    int fd;
    void *data;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2 || get_fd(env, argv[0], &fd) < 0 || get_buffer(env, argv[1], &data, &n) < 0)
        return NULL;
    for (;;) {
        ssize_t r = recv(fd, data, n, MSG_DONTWAIT);
        if (r >= 0)
            return make_int(env, (int32_t)r);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return make_int(env, -1);
        return throw_errno(env, "recv", errno);
    }
}

/* writeFrom(fd, buf: Buffer, offset): bytes of buf[offset..] the kernel took (0 when it took none) */
static napi_value js_write_from(napi_env env, napi_callback_info info)
{
    size_t argc = 3, n;
    napi_value argv[3];
    int fd;
    int32_t offset = 0;
    void *data;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 3 || get_fd(env, argv[0], &fd) < 0 || get_buffer(env, argv[1], &data, &n) < 0)
        return NULL;
    napi_get_value_int32(env, argv[2], &offset);
    if (offset < 0 || (size_t)offset > n)
        return throw_type(env, "offset out of range");
    for (;;) {
        ssize_t r = send(fd, (char *)data + offset, n - (size_t)offset, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r >= 0)
            return make_int(env, (int32_t)r);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return make_int(env, 0);
        return throw_errno(env, "send", errno);
    }
}

/* shutdownWrite(fd): FIN after what the kernel holds (errors ignored: the peer may be gone) */
static napi_value js_shutdown_write(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    int fd;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    shutdown(fd, SHUT_WR);
    return make_undefined(env);
}

/* inetName(fd, peer: boolean): { address: string (inet_ntop form), port: number } */
static napi_value js_inet_name(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2];
    int fd;
    bool peer = false;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    napi_get_value_bool(env, argv[1], &peer);
    memset(&ss, 0, sizeof(ss));
    int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (r < 0)
        return throw_errno(env, peer ? "getpeername" : "getsockname", errno);
    return inet_object(env, &ss, NULL);
}


/* ---- readiness polling (uv_poll_t on the Node event loop) ---- */

#define EV_READABLE 1
#define EV_WRITABLE 2
#define EV_ERROR 4

typedef struct {
    uv_poll_t handle;
    napi_env env;
    napi_ref cb;
    napi_async_context actx;
    int closed;     /* pollClose() called */
    int refs;       /* 2 = uv handle + JS external; freed at 0 */
} poller_t;

static void poller_unref(poller_t *p)
{
    if (--p->refs == 0)
        free(p);
}

static void on_uv_close(uv_handle_t *h) { poller_unref((poller_t *)h->data); }

static void poller_shutdown(poller_t *p)
{
    if (p->closed)
        return;
    p->closed = 1;
    uv_poll_stop(&p->handle);
    uv_close((uv_handle_t *)&p->handle, on_uv_close);
    napi_delete_reference(p->env, p->cb);
    napi_async_destroy(p->env, p->actx);
}

static void on_finalize(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    poller_t *p = data;
    poller_shutdown(p);
    poller_unref(p);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    poller_t *p = h->data;
    napi_env env = p->env;
    napi_handle_scope scope;
    napi_value cb, recv, argv[1], result;
    int ev = 0;
    if (p->closed)
        return;
    if (status < 0)
        ev |= EV_ERROR | EV_READABLE;
    if (events & UV_READABLE)
        ev |= EV_READABLE;
    if (events & UV_WRITABLE)
        ev |= EV_WRITABLE;
    if (events & UV_DISCONNECT)
        ev |= EV_READABLE;
    napi_open_handle_scope(env, &scope);
    napi_get_reference_value(env, p->cb, &cb);
    napi_get_global(env, &recv);
    napi_create_int32(env, ev, &argv[0]);
    if (napi_make_callback(env, p->actx, recv, cb, 1, argv, &result) == napi_pending_exception) {
        napi_value exc;
        napi_get_and_clear_last_exception(env, &exc);
        napi_fatal_exception(env, exc);
    }
    napi_close_handle_scope(env, scope);
}

static int get_poller(napi_env env, napi_value v, poller_t **p)
{
    void *data = NULL;
    if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
        throw_type(env, "invalid poll handle");
        return -1;
    }
    *p = data;
    return 0;
}

/* pollStart(fd, cb: (events: number) => void): handle (initially watching nothing) */
static napi_value js_poll_start(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2], ext, name;
    int fd;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2 || get_fd(env, argv[0], &fd) < 0)
        return NULL;
    uv_loop_t *loop;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok)
        return throw_errno(env, "pollStart", EINVAL);
    poller_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return throw_errno(env, "pollStart", ENOMEM);
    int r = uv_poll_init(loop, &p->handle, fd);
    if (r < 0) {
        free(p);
        return throw_errno(env, "uv_poll_init", -r);
    }
    p->handle.data = p;
    p->env = env;
    p->refs = 2;
    napi_create_reference(env, argv[1], 1, &p->cb);
    napi_create_string_utf8(env, "seqpacket", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, NULL, name, &p->actx);
    napi_create_external(env, p, on_finalize, NULL, &ext);
    return ext;
}

/* pollSet(handle, events): watch readable (1) and/or writable (2); 0 stops watching */
static napi_value js_poll_set(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2];
    poller_t *p;
    int32_t ev = 0;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2 || get_poller(env, argv[0], &p) < 0)
        return NULL;
    napi_get_value_int32(env, argv[1], &ev);
    if (p->closed)
        return make_undefined(env);
    int uvev = ((ev & EV_READABLE) ? UV_READABLE : 0) | ((ev & EV_WRITABLE) ? UV_WRITABLE : 0);
    int r = uvev ? uv_poll_start(&p->handle, uvev, on_poll) : uv_poll_stop(&p->handle);
    if (r < 0)
        return throw_errno(env, "uv_poll", -r);
    return make_undefined(env);
}

/* pollClose(handle): stop watching for good (call before closing the fd) */
static napi_value js_poll_close(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    poller_t *p;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || get_poller(env, argv[0], &p) < 0)
        return NULL;
    poller_shutdown(p);
    return make_undefined(env);
}

/*
 * mallocTrim(): give the C heap's free memory back to the kernel (glibc's malloc_trim(0): every arena, free pages
 * inside the heap too, not only its top). Returns true when memory was released. Used by the daemon when it turns
 * quiet (lib/cli/memory-settle.ts): V8's parser, compiler and GC work lists, node's stream buffers and libuv's
 * allocations are malloc'd and glibc keeps what they freed.
 */
static napi_value js_malloc_trim(napi_env env, napi_callback_info info)
{
    napi_value r;
#ifdef __GLIBC__
    napi_get_boolean(env, malloc_trim(0) != 0, &r);
#else
    napi_get_boolean(env, false, &r);
#endif
    return r;
}

/*
 * loopIdleTime(): how long the event loop has waited in its poll so far (libuv's uv_metrics_idle_time, ms), or -1 when
 * libuv does not measure it (node measures it from startup: its performance.eventLoopUtilization() reads the same
 * figure). The daemon samples it to tell a quiet loop from a busy one without loading perf_hooks (lib/cli/memory-settle.ts).
 */
static napi_value js_loop_idle_time(napi_env env, napi_callback_info info)
{
    uv_loop_t *loop;
    napi_value r;
    double ms = -1;
    if (napi_get_uv_event_loop(env, &loop) == napi_ok && loop != NULL)
        ms = (double)uv_metrics_idle_time(loop) / 1e6;
    napi_create_double(env, ms, &r);
    return r;
}

/*
 * majorGcs(): how many major (mark-compact) collections the calling isolate has run since the first call, counted by
 * a V8 GC epilogue callback (Isolate::AddGCEpilogueCallback, looked up at run time like LowMemoryNotification below),
 * or -1 when node does not export it. The daemon trims the C heap after each one while quiet (lib/cli/memory-settle.ts).
 */
#define GC_TYPE_MARK_SWEEP_COMPACT 4 /* v8::kGCTypeMarkSweepCompact (1 << 2) */
static volatile double major_gcs;
static void on_gc_epilogue(void *isolate, int type, int flags, void *data)
{
    if (type & GC_TYPE_MARK_SWEEP_COMPACT)
        major_gcs += 1;
}

static void *(*isolate_get_current)(void);

static void *current_isolate(void)
{
    static int looked_up;
    if (!looked_up) {
        looked_up = 1;
        *(void **)&isolate_get_current = dlsym(RTLD_DEFAULT, "_ZN2v87Isolate10GetCurrentEv");
    }
    return isolate_get_current ? isolate_get_current() : NULL;
}

static napi_value js_major_gcs(napi_env env, napi_callback_info info)
{
    static int state; /* 0: not yet, 1: counting, -1: cannot */
    napi_value r;
    if (state == 0) {
        void (*add)(void *, void (*)(void *, int, int, void *), void *, int);
        *(void **)&add =
            dlsym(RTLD_DEFAULT, "_ZN2v87Isolate21AddGCEpilogueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_");
        void *isolate = add ? current_isolate() : NULL;
        if (isolate) {
            add(isolate, on_gc_epilogue, NULL, GC_TYPE_MARK_SWEEP_COMPACT);
            state = 1;
        } else
            state = -1;
    }
    napi_create_double(env, state == 1 ? major_gcs : -1, &r);
    return r;
}

/*
 * lowMemoryNotification(): V8's Isolate::LowMemoryNotification() on the calling isolate, a synchronous, memory-reducing
 * full collection (what V8's memory reducer runs some 8 s after it is told of garbage; node has no API for it). A C++
 * entry point of the node binary, looked up at run time so that the addon stays ABI-stable: returns false (nothing
 * done) when node does not export it.
 */
static napi_value js_low_memory_notification(napi_env env, napi_callback_info info)
{
    static void (*low_memory)(void *);
    static int looked_up;
    napi_value r;
    if (!looked_up) {
        looked_up = 1;
        *(void **)&low_memory = dlsym(RTLD_DEFAULT, "_ZN2v87Isolate21LowMemoryNotificationEv");
    }
    void *isolate = low_memory ? current_isolate() : NULL;
    if (isolate)
        low_memory(isolate);
    napi_get_boolean(env, isolate != NULL, &r);
    return r;
}

/*
 * mallocMmapThreshold(bytes): glibc's mallopt(M_MMAP_THRESHOLD, bytes): allocations of at least that size get pages
 * of their own, given back when freed (and glibc no longer raises the threshold as large blocks are freed). Returns
 * true when set.
 */
static napi_value js_malloc_mmap_threshold(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    int32_t n = 0;
    napi_value r;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc >= 1)
        napi_get_value_int32(env, argv[0], &n);
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
    napi_get_boolean(env, n > 0 && mallopt(M_MMAP_THRESHOLD, n) == 1, &r);
#else
    napi_get_boolean(env, false, &r);
#endif
    return r;
}

#define EXPORT_FN(name, fn)                                                                                            \
    do {                                                                                                               \
        napi_value f;                                                                                                  \
        napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);                                               \
        napi_set_named_property(env, exports, name, f);                                                                \
    } while (0)

NAPI_MODULE_INIT()
{
    EXPORT_FN("listen", js_listen);
    EXPORT_FN("connect", js_connect);
    EXPORT_FN("accept", js_accept);
    EXPORT_FN("recv", js_recv);
    EXPORT_FN("send", js_send);
    EXPORT_FN("peerName", js_peer_name);
    EXPORT_FN("localName", js_local_name);
    EXPORT_FN("close", js_close);
    EXPORT_FN("unixDgramSend", js_unix_dgram_send);
    EXPORT_FN("pollStart", js_poll_start);
    EXPORT_FN("pollSet", js_poll_set);
    EXPORT_FN("pollClose", js_poll_close);
    EXPORT_FN("mallocTrim", js_malloc_trim);
    EXPORT_FN("mallocMmapThreshold", js_malloc_mmap_threshold);
    EXPORT_FN("lowMemoryNotification", js_low_memory_notification);
    EXPORT_FN("loopIdleTime", js_loop_idle_time);
    EXPORT_FN("majorGcs", js_major_gcs);
    EXPORT_FN("tcpListen", js_tcp_listen);
    EXPORT_FN("tcpAcceptFrom", js_tcp_accept_from);
    EXPORT_FN("tcpOptionsSet", js_tcp_options_set);
    EXPORT_FN("tcpKeepAlive", js_tcp_keepalive);
    EXPORT_FN("readInto", js_read_into);
    EXPORT_FN("writeFrom", js_write_from);
    EXPORT_FN("shutdownWrite", js_shutdown_write);
    EXPORT_FN("inetName", js_inet_name);
    return exports;
}
