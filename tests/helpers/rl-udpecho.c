/* rl-udpecho: a static UDP echo server that bats tests run inside containers, whose busybox
 * has no UDP server applet.
 *
 * Usage: rl-udpecho PORT: binds 0.0.0.0:PORT (UDP), prints "listening on PORT" once the socket
 * is bound, and answers each datagram with "echo:" followed by the datagram, to its sender,
 * until killed. It links against nothing but libc (statically), so it runs in any rootfs.
 * Exit status: 1 when the socket cannot be made, 2 for usage errors. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char prefix[] = "echo:";

int
main(int argc, char **argv)
{
    struct sockaddr_in addr = { 0 };
    char buf[65536];
    char *end;
    long port;
    int fd;

    if (argc != 2) {
        fprintf(stderr, "usage: rl-udpecho PORT\n");
        return 2;
    }
    errno = 0;
    port = strtol(argv[1], &end, 10);
    if (errno || end == argv[1] || *end || port < 1 || port > 65535) {
        fprintf(stderr, "rl-udpecho: '%s' is not a port from 1 to 65535\n", argv[1]);
        return 2;
    }
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "rl-udpecho: socket: %s\n", strerror(errno));
        return 1;
    }
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons((unsigned short)port);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "rl-udpecho: bind 0.0.0.0:%ld: %s\n", port, strerror(errno));
        return 1;
    }
    printf("listening on %ld\n", port);
    fflush(stdout);
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof(peer);
        ssize_t n = recvfrom(fd, buf + sizeof(prefix) - 1, sizeof(buf) - (sizeof(prefix) - 1), 0,
                             (struct sockaddr *)&peer, &peer_len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "rl-udpecho: recvfrom: %s\n", strerror(errno));
            return 1;
        }
        memcpy(buf, prefix, sizeof(prefix) - 1);
        if (sendto(fd, buf, (size_t)n + sizeof(prefix) - 1, 0, (struct sockaddr *)&peer, peer_len)
            < 0)
            fprintf(stderr, "rl-udpecho: sendto: %s\n", strerror(errno));
    }
}
