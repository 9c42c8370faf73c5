#!/usr/bin/env bash
# Makes the TLS material of a cluster: a CA, and one certificate and key per node name.
#
#   bash scripts/cluster-certs.sh OUT_DIR NAME...
#
# Writes OUT_DIR/ca.pem (the CA's certificate: every node gets a copy), OUT_DIR/ca.key (the
# CA's key: keep it off the nodes), and for each NAME: OUT_DIR/NAME.pem (its certificate) and
# OUT_DIR/NAME.key (its private key, PKCS#8). Keys are mode 600. If OUT_DIR already holds
# ca.pem and ca.key, that CA signs the new certificates, so nodes can be added later; a
# NAME.pem or NAME.key already there is replaced.
#
# What the library checks (crates/foundation/src/cluster/tls.rs): the peer's chain ends at
# the cluster's CA (in the TLS handshake, both ways), and its certificate's subjectAltName
# holds the name the peer gives in the greeting. So each certificate here has
# subjectAltName DNS:NAME, extendedKeyUsage serverAuth and clientAuth (every node both dials
# and accepts), basicConstraints CA:FALSE and keyUsage digitalSignature; the CA has
# basicConstraints CA:TRUE and keyUsage keyCertSign, cRLSign. Keys are EC P-256, signatures
# SHA-256; nodes' certificates last 825 days, the CA's 3650.
#
# Node names follow NodeName::new: 1 to 253 characters of ASCII letters, digits, '-' and '.',
# the first and last a letter or digit, no '..'. A certificate needs a little more, which
# the TLS check (rustls) asks of a DNS name: labels of at most 63 characters, none starting
# or ending with '-', and a last label that is not a number (`node.1` is a valid node name
# but a certificate cannot name it). The script refuses both kinds of name before writing
# anything.
set -euo pipefail

usage() {
    echo "usage: bash scripts/cluster-certs.sh OUT_DIR NAME..." >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
out=$1
shift

# The rule of NodeName::new, then what a DNS name in a certificate needs besides.
name_rule='^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'
check_name() {
    local name=$1 label last
    if ! [[ $name =~ $name_rule ]] || [[ $name == *..* ]]; then
        echo "cluster-certs: invalid node name '$name': 1 to 253 characters of lower-case" \
            "letters, digits, '-' and '.', the first and last a letter or digit, no '..'" >&2
        exit 1
    fi
    local -a labels
    IFS=. read -ra labels <<<"$name"
    for label in "${labels[@]}"; do
        if [[ ${#label} -gt 63 || $label == -* || $label == *- ]]; then
            echo "cluster-certs: node name '$name' cannot be in a certificate: label" \
                "'$label' is longer than 63 characters or starts or ends with '-'" >&2
            exit 1
        fi
    done
    if [[ ${#name} -gt 251 ]]; then
        echo "cluster-certs: node name '$name' is too long for its files: NAME.key would" \
            "pass the 255 bytes a file name may have" >&2
        exit 1
    fi
    last=${labels[-1]}
    if [[ $last =~ ^[0-9]+$ || $last =~ ^0x[0-9a-f]*$ ]]; then
        echo "cluster-certs: node name '$name' cannot be in a certificate: its last label" \
            "'$last' is a number (TLS reads such a name as an IP address, or refuses it)" >&2
        exit 1
    fi
}
for name in "$@"; do
    check_name "$name"
done

command -v openssl >/dev/null || {
    echo "cluster-certs: the openssl command is needed (apt-get install openssl)" >&2
    exit 1
}

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A minimal configuration, so that the system's openssl.cnf adds nothing.
cat >"$tmp/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no

[dn]
CN = Foundation cluster CA

[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF

# Runs openssl quietly; on failure, prints what it said and stops.
quiet() {
    local said
    if ! said=$(openssl "$@" 2>&1); then
        echo "cluster-certs: openssl $1 failed:" >&2
        echo "$said" >&2
        exit 1
    fi
}

# Writes a new P-256 private key (PKCS#8 PEM) to $1, readable by its owner only.
new_key() {
    (umask 077 && quiet genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$1")
    chmod 600 "$1"
}

if [[ -f $out/ca.pem && -f $out/ca.key ]]; then
    # The key must be the certificate's, or every node certificate would fail to verify.
    ca_public=$(openssl x509 -in "$out/ca.pem" -noout -pubkey)
    key_public=$(openssl pkey -in "$out/ca.key" -pubout)
    if [[ $ca_public != "$key_public" ]]; then
        echo "cluster-certs: $out/ca.key is not the key of $out/ca.pem" >&2
        exit 1
    fi
    echo "using the CA in $out/ca.pem"
elif [[ -e $out/ca.pem || -e $out/ca.key ]]; then
    echo "cluster-certs: $out holds one of ca.pem and ca.key but not the other;" \
        "move it away to make a new CA" >&2
    exit 1
else
    new_key "$out/ca.key"
    quiet req -new -x509 -config "$tmp/openssl.cnf" -extensions ca \
        -key "$out/ca.key" -sha256 -days 3650 -out "$out/ca.pem"
    chmod 644 "$out/ca.pem"
    echo "wrote $out/ca.pem (CA certificate, 3650 days) and $out/ca.key (CA key, mode 600)"
fi

for name in "$@"; do
    cat >"$tmp/node.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:$name
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
    # The subjectAltName is what is checked; the common name is for people, and at most 64
    # characters long.
    cn=$name
    [[ ${#cn} -le 64 ]] || cn="Foundation cluster node"
    new_key "$out/$name.key"
    quiet req -new -config "$tmp/openssl.cnf" -subj "/CN=$cn" \
        -key "$out/$name.key" -out "$tmp/node.csr"
    quiet x509 -req -in "$tmp/node.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -sha256 -days 825 \
        -extfile "$tmp/node.ext" -out "$out/$name.pem"
    chmod 644 "$out/$name.pem"
    quiet verify -CAfile "$out/ca.pem" "$out/$name.pem"
    echo "wrote $out/$name.pem (certificate for DNS:$name, 825 days) and $out/$name.key (key, mode 600)"
done
