// Command origin is the benchmark's local web site: /small (a 100-byte
// page) and /1m (1 MiB), over HTTP and HTTPS (self-signed; the tunnel
// load generator does not verify it).
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	httpAddr := flag.String("http", "127.0.0.1:18001", "HTTP address")
	httpsAddr := flag.String("https", "127.0.0.1:18443", "HTTPS address")
	flag.Parse()
	small := bytes.Repeat([]byte("s"), 100)
	big := bytes.Repeat([]byte("b"), 1<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { w.Write(small) })
	mux.HandleFunc("/1m", func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	// httptest's certificate is a convenient self-signed one.
	ts := httptest.NewUnstartedServer(mux)
	ts.StartTLS()
	tlsCfg := &tls.Config{Certificates: ts.TLS.Certificates}
	ts.Close()
	go func() {
		srv := &http.Server{Addr: *httpsAddr, Handler: mux, TLSConfig: tlsCfg}
		log.Fatal(srv.ListenAndServeTLS("", ""))
	}()
	go func() { log.Fatal(http.ListenAndServe(*httpAddr, mux)) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
