#!/usr/bin/env bats
# A user without subordinate ids (or without the id-map helpers) still runs containers: rl
# maps only the user's own id and says once how to fix it.

load helpers


@test "oci run: no subordinate ids gives a single-id map and one warning with the fix" {
    skip_if_rootless "needs root to become a user without subordinate ids"
    grep -q '^nobody:' /etc/subuid && skip "nobody has subordinate ids here"
    local dir
    dir=$(mktemp -d /tmp/rl-fb.XXXXXX)
    chmod 0755 "$dir"
    local b=$dir/b id=c-$(safename)
    make_bundle "$b"
    # A config without maps: rl picks the default one, which for nobody is only itself.
    bundle_set "$b" 'del(.linux.uidMappings, .linux.gidMappings)
        | .linux.namespaces |= (map(select(.type != "user")) + [{"type": "user"}])'
    bundle_args "$b" /bin/sh -c 'cat /proc/self/uid_map; id -u'
    chmod -R a+rX "$dir"
    mkdir -m 0700 "$dir/state" && chown 65534:65534 "$dir/state"

    # As nobody, who has no /etc/subuid entry.
    run timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups -- \
        env -i PATH=/usr/bin:/bin "$RL" --root "$dir/state" oci run --bundle "$b" "$id"
    echo "$output" >&2
    assert "$status" -eq 0 "the container runs"
    assert "$output" =~ "0 +65534 +1" "uid 0 inside is nobody outside, and nothing else"
    assert "$(grep -c 'warning' <<<"$output")" -eq 1 "one warning"
    assert "$output" =~ "usermod --add-subuids" "the warning names the fix"
    rm -rf "$dir"
}

@test "oci run: a config that maps only the caller needs no helper and no warning" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}]
        | .linux.namespaces |= (map(select(.type != "user")) + [{"type": "user"}])' \
        --argjson u "$(id -u)" --argjson g "$(id -g)"
    bundle_args "$b" /bin/rl-testinit uidmap
    run_rl oci run --bundle "$b" "$id"
    assert "$output" =~ "^ +0 +$(id -u) +1$" "only the caller is mapped"
    assert "$output" !~ "warning" "no warning"
}
