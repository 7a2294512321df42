# shellcheck shell=bash
# Certificates and kubeconfigs of the cluster (sourced by cluster-up.sh). One CA signs every
# certificate; each component gets its own identity, so RBAC and the Node authorizer apply as
# they do on a kubeadm cluster.

# sign NAME CN [O] [SANS]: writes NAME.key and NAME.crt in $PKI, signed by the CA.
sign() {
  local name=$1 cn=$2 org=${3:-} sans=${4:-} subj
  subj="/CN=$cn"
  [[ -n $org ]] && subj="/O=$org$subj"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n $sans ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$sans"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } > "$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 30 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

# kubeconfig FILE CERTNAME: a kubeconfig for the API server that authenticates with CERTNAME.
kubeconfig() {
  local file=$1 cert=$2
  cat > "$file" <<EOC
apiVersion: v1
kind: Config
clusters:
- name: clusterbench
  cluster:
    server: https://$NODE_IP:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $cert
  user:
    client-certificate: $PKI/$cert.crt
    client-key: $PKI/$cert.key
contexts:
- name: clusterbench
  context: {cluster: clusterbench, user: $cert}
current-context: clusterbench
EOC
}

make_pki() {
  PKI=$RUN_DIR/pki
  mkdir -p "$PKI"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=clusterbench-ca" -days 30 -out "$PKI/ca.crt" 2>/dev/null
  sign apiserver kube-apiserver "" \
    "IP:$NODE_IP,IP:127.0.0.1,IP:$KUBERNETES_SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
  sign apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  sign admin clusterbench-admin system:masters
  sign controller-manager system:kube-controller-manager
  sign scheduler system:kube-scheduler
  sign kubelet "system:node:$NODE_NAME" system:nodes
  sign kubelet-serving "$NODE_NAME" "" "IP:$NODE_IP,DNS:$NODE_NAME"
  sign kube-proxy system:kube-proxy
  # Service-account tokens: the API server signs them, every component checks them.
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/sa.key" 2>/dev/null
  openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  kubeconfig "$KUBECONFIG_PATH" admin
  for c in controller-manager scheduler kubelet kube-proxy; do kubeconfig "$RUN_DIR/$c.kubeconfig" "$c"; done
}
