// metalstore-cluster-dns: a minimal Kubernetes cluster-DNS server for offline tests.
//
// TEST/OFFLINE SUBSTITUTE ONLY, not CoreDNS. It exists because CoreDNS is not available without internet.
// It is built inside the Kubernetes source tree (GOPATH mode) and uses only libraries vendored there
// (github.com/miekg/dns, client-go). It answers the records of the Kubernetes DNS specification
// (https://github.com/kubernetes/dns/blob/master/docs/specification.md) for:
//
//	<svc>.<ns>.svc.<zone>                    A    ClusterIP, or every ready endpoint of a headless Service
//	<hostname>.<svc>.<ns>.svc.<zone>         A    endpoint with a hostname (StatefulSet pods, headless Service)
//	_<port>._<proto>.<svc>.<ns>.svc.<zone>   SRV  named ports (target: the Service, or each headless endpoint)
//	<a-b-c-d>.<ns>.pod.<zone>                A    pod IP form
//	<reversed-ip>.in-addr.arpa.              PTR  ClusterIPs and endpoint addresses
//	dns-version.<zone>                       TXT  schema version
//
// Other names in the zone get NXDOMAIN; names outside it are forwarded to -upstream if set, else REFUSED.
// No caching, no DNSSEC, IPv4 only (AAAA returns an empty answer).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

var (
	listen     = flag.String("listen", ":53", "UDP and TCP address to answer on")
	health     = flag.String("health", ":8080", "HTTP address for /healthz and /ready")
	zone       = flag.String("zone", "cluster.local", "cluster domain")
	upstream   = flag.String("upstream", "", "optional resolver (host:port) for names outside the zone")
	kubeconfig = flag.String("kubeconfig", "", "kubeconfig path (default: in-cluster config)")
	ttl        = flag.Uint("ttl", 5, "TTL of answers, seconds")
)

type server struct {
	zone      string // "cluster.local." (fqdn, lower case)
	services  corelisters.ServiceLister
	endpoints corelisters.EndpointsLister
	ready     atomic.Value
}

func (s *server) hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: uint32(*ttl)}
}

func (s *server) a(name string, ip string) dns.RR {
	return &dns.A{Hdr: s.hdr(name, dns.TypeA), A: net.ParseIP(ip).To4()}
}

// endpointAddrs returns the ready addresses of a Service (with hostnames) and the ports of each subset.
func (s *server) endpointAddrs(ns, name string) ([]v1.EndpointAddress, []v1.EndpointPort) {
	ep, err := s.endpoints.Endpoints(ns).Get(name)
	if err != nil {
		return nil, nil
	}
	var addrs []v1.EndpointAddress
	var ports []v1.EndpointPort
	for _, ss := range ep.Subsets {
		addrs = append(addrs, ss.Addresses...)
		ports = append(ports, ss.Ports...)
	}
	return addrs, ports
}

func isHeadless(svc *v1.Service) bool {
	return svc.Spec.ClusterIP == v1.ClusterIPNone || svc.Spec.ClusterIP == ""
}

// answer returns (records, known name?) for a query inside the cluster zone.
func (s *server) answer(qname string, qtype uint16) ([]dns.RR, bool) {
	rel := strings.TrimSuffix(qname, "."+s.zone)
	if qname == s.zone {
		return nil, true
	}
	if rel == qname {
		return nil, false
	}
	labels := dns.SplitDomainName(rel)
	n := len(labels)
	switch {
	case n == 1 && labels[0] == "dns-version":
		if qtype == dns.TypeTXT {
			return []dns.RR{&dns.TXT{Hdr: s.hdr(qname, dns.TypeTXT), Txt: []string{"1.1.0"}}}, true
		}
		return nil, true
	case n == 3 && labels[2] == "pod":
		ip := net.ParseIP(strings.ReplaceAll(labels[0], "-", "."))
		if ip == nil || ip.To4() == nil {
			return nil, false
		}
		if qtype == dns.TypeA {
			return []dns.RR{s.a(qname, ip.String())}, true
		}
		return nil, true
	case n >= 3 && labels[n-1] == "svc":
		return s.serviceAnswer(qname, qtype, labels[:n-1])
	case n <= 2:
		// "svc", "<ns>.svc", "pod", "<ns>.pod": empty non-terminals exist.
		return nil, true
	}
	return nil, false
}

func (s *server) serviceAnswer(qname string, qtype uint16, l []string) ([]dns.RR, bool) {
	// l is [ ... , svc, ns ] without the trailing "svc".
	n := len(l)
	ns, name := l[n-1], l[n-2]
	svc, err := s.services.Services(ns).Get(name)
	if err != nil {
		return nil, false
	}
	base := name + "." + ns + ".svc." + s.zone
	switch n {
	case 2: // <svc>.<ns>.svc
		if qtype != dns.TypeA && qtype != dns.TypeANY {
			return nil, true
		}
		if svc.Spec.Type == v1.ServiceTypeExternalName {
			return []dns.RR{&dns.CNAME{Hdr: s.hdr(qname, dns.TypeCNAME), Target: dns.Fqdn(svc.Spec.ExternalName)}}, true
		}
		if !isHeadless(svc) {
			return []dns.RR{s.a(qname, svc.Spec.ClusterIP)}, true
		}
		addrs, _ := s.endpointAddrs(ns, name)
		var rrs []dns.RR
		for _, a := range addrs {
			rrs = append(rrs, s.a(qname, a.IP))
		}
		return rrs, true
	case 3: // <hostname>.<svc>.<ns>.svc (headless endpoints only)
		if !isHeadless(svc) {
			return nil, false
		}
		addrs, _ := s.endpointAddrs(ns, name)
		for _, a := range addrs {
			if endpointHostname(a) == l[0] {
				if qtype == dns.TypeA || qtype == dns.TypeANY {
					return []dns.RR{s.a(qname, a.IP)}, true
				}
				return nil, true
			}
		}
		return nil, false
	case 4: // _<port>._<proto>.<svc>.<ns>.svc
		if !strings.HasPrefix(l[0], "_") || !strings.HasPrefix(l[1], "_") {
			return nil, false
		}
		portName, proto := l[0][1:], strings.ToUpper(l[1][1:])
		var rrs []dns.RR
		if !isHeadless(svc) {
			for _, p := range svc.Spec.Ports {
				if p.Name == portName && string(p.Protocol) == proto {
					rrs = append(rrs, &dns.SRV{Hdr: s.hdr(qname, dns.TypeSRV), Priority: 0, Weight: 100,
						Port: uint16(p.Port), Target: base})
				}
			}
		} else {
			addrs, ports := s.endpointAddrs(ns, name)
			for _, p := range ports {
				if p.Name != portName || string(p.Protocol) != proto {
					continue
				}
				for _, a := range addrs {
					target := endpointHostname(a) + "." + base
					rrs = append(rrs, &dns.SRV{Hdr: s.hdr(qname, dns.TypeSRV), Priority: 0, Weight: 100,
						Port: uint16(p.Port), Target: target})
				}
				break
			}
		}
		if len(rrs) == 0 {
			return nil, false
		}
		if qtype != dns.TypeSRV && qtype != dns.TypeANY {
			return nil, true
		}
		return rrs, true
	}
	return nil, false
}

// endpointHostname is the record name of a headless endpoint: its hostname, else its dashed IP.
func endpointHostname(a v1.EndpointAddress) string {
	if a.Hostname != "" {
		return a.Hostname
	}
	return strings.ReplaceAll(a.IP, ".", "-")
}

func (s *server) ptr(qname string) []dns.RR {
	rel := strings.TrimSuffix(qname, ".in-addr.arpa.")
	parts := strings.Split(rel, ".")
	if len(parts) != 4 {
		return nil
	}
	ip := parts[3] + "." + parts[2] + "." + parts[1] + "." + parts[0]
	svcs, _ := s.services.List(labels.Everything())
	for _, svc := range svcs {
		if svc.Spec.ClusterIP == ip {
			return []dns.RR{&dns.PTR{Hdr: s.hdr(qname, dns.TypePTR), Ptr: svc.Name + "." + svc.Namespace + ".svc." + s.zone}}
		}
		if isHeadless(svc) {
			addrs, _ := s.endpointAddrs(svc.Namespace, svc.Name)
			for _, a := range addrs {
				if a.IP == ip {
					return []dns.RR{&dns.PTR{Hdr: s.hdr(qname, dns.TypePTR),
						Ptr: endpointHostname(a) + "." + svc.Name + "." + svc.Namespace + ".svc." + s.zone}}
				}
			}
		}
	}
	return nil
}

func (s *server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	qname := strings.ToLower(q.Name)
	switch {
	case strings.HasSuffix(qname, "."+s.zone) || qname == s.zone:
		rrs, known := s.answer(qname, q.Qtype)
		m.Answer = rrs
		if !known {
			m.Rcode = dns.RcodeNameError
		}
		if len(m.Answer) == 0 {
			m.Ns = []dns.RR{s.soa()}
		}
	case strings.HasSuffix(qname, ".in-addr.arpa.") && q.Qtype == dns.TypePTR && s.ptr(qname) != nil:
		m.Answer = s.ptr(qname)
	case *upstream != "":
		c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
		r, _, err := c.Exchange(req, *upstream)
		if err != nil {
			m.Rcode = dns.RcodeServerFailure
		} else {
			m = r
		}
	default:
		m.Authoritative = false
		m.Rcode = dns.RcodeRefused
	}
	_ = w.WriteMsg(m)
}

func (s *server) soa() dns.RR {
	return &dns.SOA{Hdr: s.hdr(s.zone, dns.TypeSOA), Ns: "ns.dns." + s.zone, Mbox: "hostmaster." + s.zone,
		Serial: uint32(time.Now().Unix()), Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: uint32(*ttl)}
}

func main() {
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.LUTC)
	var cfg *rest.Config
	var err error
	if *kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", *kubeconfig)
	} else {
		cfg, err = rest.InClusterConfig()
	}
	if err != nil {
		log.Fatalf("kubernetes client config: %v", err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	factory := informers.NewSharedInformerFactory(client, 5*time.Minute)
	s := &server{
		zone:      dns.Fqdn(strings.ToLower(*zone)),
		services:  factory.Core().V1().Services().Lister(),
		endpoints: factory.Core().V1().Endpoints().Lister(),
	}
	s.ready.Store(false)
	stop := make(chan struct{})
	factory.Start(stop)

	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) {
		if s.ready.Load().(bool) {
			fmt.Fprintln(w, "ready")
			return
		}
		http.Error(w, "informers not synced", http.StatusServiceUnavailable)
	})
	go func() { log.Fatal(http.ListenAndServe(*health, nil)) }()

	for t, synced := range factory.WaitForCacheSync(stop) {
		if !synced {
			log.Fatalf("cache for %v did not sync", t)
		}
	}
	s.ready.Store(true)
	log.Printf("metalstore-cluster-dns (test/offline stand-in) serving zone %s on %s", s.zone, *listen)
	errs := make(chan error, 2)
	for _, network := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: *listen, Net: network, Handler: s}
		go func() { errs <- srv.ListenAndServe() }()
	}
	log.Printf("server stopped: %v", <-errs)
	os.Exit(1)
}
