#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "terminal.h"

int
rl_send_fd(int sock, int fd, const void *data, size_t len, rl_error_t *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    char dummy = '\0';
    struct iovec iov = { .iov_base = data ? (void *)data : &dummy, .iov_len = data ? len : 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct cmsghdr *cmsg;

    memset(&u, 0, sizeof(u));
    if (fd >= 0) {
        msg.msg_control = u.buf;
        msg.msg_controllen = sizeof(u.buf);
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    }
    if (TEMP_FAILURE_RETRY(sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0)
        return rl_make_error(err, errno, "send file descriptor");
    return 0;
}

int
rl_recv_fd(int sock, int *ret_fd, void *data, size_t len, rl_error_t *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    char dummy;
    struct iovec iov = { .iov_base = data ? data : &dummy, .iov_len = data ? len : 1 };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)
    };
    struct cmsghdr *cmsg;
    ssize_t n;

    n = TEMP_FAILURE_RETRY(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC));
    if (n < 0)
        return rl_make_error(err, errno, "receive file descriptor");
    if (n == 0)
        return rl_make_error(err, EPIPE, "receive file descriptor: peer closed");
    *ret_fd = -1;
    for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
            memcpy(ret_fd, CMSG_DATA(cmsg), sizeof(int));
    return (int)n;
}

int
rl_terminal_create(unsigned int rows, unsigned int cols, rl_error_t *err)
{
    cleanup_close int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    cleanup_close int slave = -1;
    char name[64];

    if (master < 0)
        return rl_make_error(err, errno, "open /dev/ptmx");
    if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
        return rl_make_error(err, errno, "unlock the pty");
    slave = open(name, O_RDWR | O_NOCTTY);
    if (slave < 0)
        return rl_make_error(err, errno, "open '%s'", name);
    if (rows && cols) {
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        (void)ioctl(slave, TIOCSWINSZ, &ws);
    }
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return rl_make_error(err, errno, "make '%s' the controlling terminal", name);
    for (int i = 0; i < 3; i++)
        if (dup2(slave, i) < 0)
            return rl_make_error(err, errno, "dup2 the pty");
    return steal_fd(&master);
}

int
rl_terminal_send_to_socket(const char *path, int master, rl_error_t *err)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    cleanup_close int sock = -1;

    if (strlen(path) >= sizeof(addr.sun_path))
        return rl_make_error(err, ENAMETOOLONG, "console socket '%s'", path);
    strcpy(addr.sun_path, path);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return rl_make_error(err, errno, "socket");
    if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return rl_make_error(err, errno, "connect to console socket '%s'", path);
    if (rl_send_fd(sock, master, "/dev/ptmx", 9, err) < 0)
        return rl_error_wrap(err, "console socket '%s'", path);
    return 0;
}

int
rl_terminal_raw(int fd, struct termios *old, rl_error_t *err)
{
    struct termios t;

    if (tcgetattr(fd, &t) < 0)
        return rl_make_error(err, errno, "tcgetattr");
    *old = t;
    /* Output post-processing too: the container's pty has turned "\n" into "\r\n" already. */
    cfmakeraw(&t);
    if (tcsetattr(fd, TCSANOW, &t) < 0)
        return rl_make_error(err, errno, "tcsetattr");
    return 0;
}

void
rl_terminal_restore(int fd, const struct termios *old)
{
    (void)tcsetattr(fd, TCSANOW, old);
}

void
rl_terminal_copy_size(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        (void)ioctl(to, TIOCSWINSZ, &ws);
}
