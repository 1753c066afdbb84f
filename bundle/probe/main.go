// metalstore-probe: tiny test client shipped in the cluster-DNS stand-in image, because the offline bundle
// has no image with a shell. Used by the bundle's Kubernetes proof (tests/bundle) inside pods.
//
//	metalstore-probe lookup NAME [TYPE]   resolve with the pod's /etc/resolv.conf (A, or SRV)
//	metalstore-probe get URL              HTTP GET, prints status and body
//	metalstore-probe write PATH TEXT      write a file
//	metalstore-probe cat PATH             print a file
//	metalstore-probe sleep                block until SIGTERM
package main

import (
	"context"
	"fmt"
	"io/ioutil"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: metalstore-probe lookup|get|write|cat|sleep ...")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args := os.Args[2:]
	switch os.Args[1] {
	case "lookup":
		r := &net.Resolver{PreferGo: true}
		if len(args) > 1 && args[1] == "SRV" {
			_, srvs, err := r.LookupSRV(ctx, "", "", args[0])
			if err != nil {
				fail("lookup %s SRV: %v", args[0], err)
			}
			for _, s := range srvs {
				fmt.Printf("%s %d\n", s.Target, s.Port)
			}
			return
		}
		addrs, err := r.LookupHost(ctx, args[0])
		if err != nil {
			fail("lookup %s: %v", args[0], err)
		}
		for _, a := range addrs {
			fmt.Println(a)
		}
	case "get":
		c := &http.Client{Timeout: 10 * time.Second}
		resp, err := c.Get(args[0])
		if err != nil {
			fail("get %s: %v", args[0], err)
		}
		defer resp.Body.Close()
		body, _ := ioutil.ReadAll(resp.Body)
		fmt.Printf("%d\n%s\n", resp.StatusCode, body)
		if resp.StatusCode >= 400 {
			os.Exit(1)
		}
	case "write":
		if err := ioutil.WriteFile(args[0], []byte(args[1]), 0o644); err != nil {
			fail("write: %v", err)
		}
	case "cat":
		b, err := ioutil.ReadFile(args[0])
		if err != nil {
			fail("cat: %v", err)
		}
		os.Stdout.Write(b)
	case "sleep":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
		<-c
	default:
		fail("unknown command %q", os.Args[1])
	}
}
