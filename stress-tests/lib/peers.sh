# shellcheck shell=bash
# Peer servers to compare file-service against, on 127.0.0.1 only: nginx (`return 200` for
# /ping, static files, DAV PUT) and a Go net/http server (the original service's stack),
# built offline from the standard library with Debian's golang-go. Source this file.
#
# Both peers serve the same three routes as file-service, so one load command fits all:
#   GET /ping          -> 200 {"message":"pong"}
#   GET /files/NAME    -> the file DIR/www/NAME
#   PUT /files/NAME    -> body streamed to a temp file, fsync, rename into DIR/www/NAME; 201
#   POST /upload?path=F -> multipart/form-data (the Go peer only, mime/multipart streaming):
#                         each file part to a temp file, fsync, rename into DIR/www/F/NAME; 201
#
# Functions (DIR is a scratch directory the peer owns; it is created if missing):
#   peer_free_port                 print a free TCP port on 127.0.0.1
#   peer_start_nginx DIR PORT      start nginx (1 worker); prints the pid file path
#   peer_start_go DIR PORT [MODE]  build (once, cached in DIR) and start the Go peer; prints the
#                                  pid file path. MODE fsync (default) syncs every upload before
#                                  answering, as file-service's DURABILITY=strict does; nosync
#                                  skips the fsync, as nginx's DAV PUT and DURABILITY=none do
#   peer_wait_ready PORT [SECS]    wait until GET /ping answers 200 (default 10 s); 1 on timeout
#   peer_stop PIDFILE              TERM the peer whose pid is in PIDFILE, KILL after 5 s
# Environment:
#   PEER_WRAP   command prefix for the peer, e.g. "taskset -c 0" to pin it to one core
#               (word-split on purpose). Go's GOMAXPROCS follows the affinity mask.
# Every function returns non-zero with a message on stderr when it fails. Only the
# processes these functions start are ever signalled, by the pid they recorded.

peer__say() { printf 'peers.sh: %s\n' "$*" >&2; }

peer_free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

peer_start_nginx() {
  local dir=$1 port=$2
  [[ -n $dir && -n $port ]] || { peer__say "usage: peer_start_nginx DIR PORT"; return 2; }
  command -v nginx >/dev/null || command -v /usr/sbin/nginx >/dev/null ||
    { peer__say "nginx not installed (Debian: nginx-light)"; return 1; }
  mkdir -p "$dir/www" "$dir/nginx-tmp" || return 1
  dir=$(cd "$dir" && pwd)
  # As root, nginx would run its worker as nobody, who cannot write DIR.
  local user_line=""
  ((EUID == 0)) && user_line="user $(id -un) $(id -gn);"
  cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 20000; }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path $dir/nginx-tmp;
  proxy_temp_path $dir/nginx-tmp;
  fastcgi_temp_path $dir/nginx-tmp;
  uwsgi_temp_path $dir/nginx-tmp;
  scgi_temp_path $dir/nginx-tmp;
  server {
    listen 127.0.0.1:$port reuseport backlog=4096;
    location = /ping {
      default_type application/json;
      return 200 '{"message":"pong"}';
    }
    location /files/ {
      alias $dir/www/;
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 0;
      client_body_buffer_size 128k;
    }
  }
}
EOF
  local nginx_bin
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  # shellcheck disable=SC2086 # PEER_WRAP is a command prefix
  ${PEER_WRAP:-} "$nginx_bin" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' \
    >"$dir/nginx.out" 2>&1 &
  echo $! >"$dir/nginx.pid.launcher"
  # nginx writes its own pid file; the launcher pid is the same process (daemon off).
  echo "$dir/nginx.pid.launcher"
}

peer__go_source() {
  cat <<'EOF'
// Go net/http peer for file-service benchmarks: the same routes, the standard library only.
package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// store streams src into a temp file in root, syncs it unless nosync, and renames it to target.
func store(root, target string, src io.Reader, nosync bool) error {
	tmp, err := os.CreateTemp(root, ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, src)
	if err == nil && !nosync {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(target), 0o755)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), target)
	}
	return err
}

func main() {
	root := os.Args[2]
	nosync := len(os.Args) > 3 && os.Args[3] == "nosync"
	pong := []byte(`{"message":"pong"}`)
	http.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(pong)
	})
	http.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Clean("/" + strings.TrimPrefix(r.URL.Path, "/files/"))
		target := filepath.Join(root, name)
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			http.ServeFile(w, r, target)
		case http.MethodPut:
			if err := store(root, target, r.Body, nosync); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"path":"` + name + `"}`))
		default:
			http.Error(w, "method not allowed", 405)
		}
	})
	http.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", 405)
			return
		}
		folder := filepath.Clean("/" + r.URL.Query().Get("path"))
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var names []string
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			if part.FileName() == "" {
				continue
			}
			name := filepath.Join(folder, filepath.Base(part.FileName()))
			if err := store(root, filepath.Join(root, name), part, nosync); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			names = append(names, `"`+name+`"`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"files":[` + strings.Join(names, ",") + `]}`))
	})
	if err := http.ListenAndServe(os.Args[1], nil); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
}
EOF
}

peer_start_go() {
  local dir=$1 port=$2 mode=${3:-fsync}
  [[ -n $dir && -n $port ]] || { peer__say "usage: peer_start_go DIR PORT [fsync|nosync]"; return 2; }
  [[ $mode == fsync || $mode == nosync ]] || { peer__say "peer_start_go: MODE is fsync or nosync"; return 2; }
  command -v go >/dev/null || { peer__say "go not installed (Debian: golang-go)"; return 1; }
  mkdir -p "$dir/www" "$dir/src" || return 1
  dir=$(cd "$dir" && pwd)
  peer__go_source >"$dir/src/main.go.new"
  if ! cmp -s "$dir/src/main.go.new" "$dir/src/main.go" || [[ ! -x $dir/gopeer ]]; then
    mv "$dir/src/main.go.new" "$dir/src/main.go"
    # Offline: standard library only, no module download, a private build cache.
    (cd "$dir/src" && GO111MODULE=off GOFLAGS='' GOPROXY=off GOCACHE="$dir/gocache" \
      go build -o "$dir/gopeer" main.go) || { peer__say "go build failed"; return 1; }
  else
    rm -f "$dir/src/main.go.new"
  fi
  # shellcheck disable=SC2086 # PEER_WRAP is a command prefix
  ${PEER_WRAP:-} "$dir/gopeer" "127.0.0.1:$port" "$dir/www" "$mode" >"$dir/gopeer.out" 2>&1 &
  echo $! >"$dir/gopeer.pid"
  echo "$dir/gopeer.pid"
}

peer_wait_ready() {
  local port=$1 secs=${2:-10} i
  for ((i = 0; i < secs * 10; i++)); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/ping") == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  peer__say "nothing answered /ping on 127.0.0.1:$port within ${secs}s"
  return 1
}

peer_stop() {
  local pidfile=$1 pid i
  [[ -f $pidfile ]] || { peer__say "no pid file $pidfile"; return 1; }
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || { peer__say "bad pid in $pidfile"; return 1; }
  kill -TERM "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -f "$pidfile"
  return 0
}
