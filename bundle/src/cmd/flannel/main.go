// Command flannel is the CNI plugin of flannel's pod network: it reads the node's lease that flanneld
// writes (subnet.env), turns it into a bridge + host-local configuration and delegates to those plugins.
// The delegate configuration is kept per container, so DEL and CHECK use exactly what ADD used even if
// the lease changed meanwhile.
//
// Network configuration (the first plugin of a conflist):
//
//	{"type": "flannel", "subnetFile": "/run/flannel/subnet.env", "dataDir": "/var/lib/cni/flannel",
//	 "delegate": {"hairpinMode": true, "isDefaultGateway": true}}
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// buildVersion is set at link time (-X main.buildVersion=...).
var buildVersion = "unknown"

const (
	defaultSubnetFile = "/run/flannel/subnet.env"
	defaultDataDir    = "/var/lib/cni/flannel"
)

type netConf struct {
	types.PluginConf
	SubnetFile string                 `json:"subnetFile"`
	DataDir    string                 `json:"dataDir"`
	Delegate   map[string]interface{} `json:"delegate"`
}

// lease is what flanneld wrote into subnet.env.
type lease struct {
	networks []*net.IPNet
	subnet   *net.IPNet
	mtu      int
	ipMasq   bool
}

func loadConf(data []byte) (*netConf, error) {
	conf := &netConf{SubnetFile: defaultSubnetFile, DataDir: defaultDataDir}
	if err := json.Unmarshal(data, conf); err != nil {
		return nil, fmt.Errorf("flannel: cannot parse the network configuration: %v", err)
	}
	if conf.Delegate == nil {
		conf.Delegate = map[string]interface{}{}
	}
	return conf, nil
}

func readLease(path string) (*lease, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("flannel: %v (is flanneld running on this node?)", err)
	}
	defer f.Close()
	l := &lease{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		key, value, found := strings.Cut(strings.TrimSpace(scanner.Text()), "=")
		if !found {
			continue
		}
		switch key {
		case "FLANNEL_NETWORK", "FLANNEL_IPV4_NETWORK":
			for _, cidr := range strings.Split(value, ",") {
				_, n, err := net.ParseCIDR(cidr)
				if err != nil {
					return nil, fmt.Errorf("flannel: %s: bad %s %q", path, key, cidr)
				}
				l.networks = append(l.networks, n)
			}
		case "FLANNEL_SUBNET":
			ip, n, err := net.ParseCIDR(value)
			if err != nil {
				return nil, fmt.Errorf("flannel: %s: bad FLANNEL_SUBNET %q", path, value)
			}
			n.IP = ip
			l.subnet = n
		case "FLANNEL_MTU":
			if l.mtu, err = strconv.Atoi(value); err != nil {
				return nil, fmt.Errorf("flannel: %s: bad FLANNEL_MTU %q", path, value)
			}
		case "FLANNEL_IPMASQ":
			l.ipMasq = value == "true"
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("flannel: reading %s: %v", path, err)
	}
	if l.subnet == nil || len(l.networks) == 0 {
		return nil, fmt.Errorf("flannel: %s lacks FLANNEL_SUBNET or FLANNEL_NETWORK", path)
	}
	return l, nil
}

// delegateConf is the bridge configuration for this node's lease; keys the user set in "delegate" win.
func delegateConf(conf *netConf, l *lease) ([]byte, error) {
	d := map[string]interface{}{
		"type":       "bridge",
		"name":       conf.Name,
		"cniVersion": conf.CNIVersion,
		"isGateway":  true,
		// flanneld masquerades traffic leaving the pod network itself when FLANNEL_IPMASQ=true.
		"ipMasq": !l.ipMasq,
	}
	if l.mtu > 0 {
		d["mtu"] = l.mtu
	}
	routes := []map[string]string{}
	for _, n := range l.networks {
		routes = append(routes, map[string]string{"dst": n.String()})
	}
	network := net.IPNet{IP: l.subnet.IP.Mask(l.subnet.Mask), Mask: l.subnet.Mask}
	d["ipam"] = map[string]interface{}{
		"type":   "host-local",
		"ranges": [][]map[string]string{{{"subnet": network.String()}}},
		"routes": routes,
	}
	for k, v := range conf.Delegate {
		d[k] = v
	}
	return json.Marshal(d)
}

func savedPath(conf *netConf, containerID string) string {
	return filepath.Join(conf.DataDir, containerID)
}

func cmdAdd(args *skel.CmdArgs) error {
	conf, err := loadConf(args.StdinData)
	if err != nil {
		return err
	}
	l, err := readLease(conf.SubnetFile)
	if err != nil {
		return err
	}
	data, err := delegateConf(conf, l)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(conf.DataDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(savedPath(conf, args.ContainerID), data, 0o600); err != nil {
		return err
	}
	typ := conf.Delegate["type"]
	if typ == nil {
		typ = "bridge"
	}
	result, err := invoke.DelegateAdd(context.TODO(), typ.(string), data, nil)
	if err != nil {
		return err
	}
	return types.PrintResult(result, conf.CNIVersion)
}

func savedDelegate(args *skel.CmdArgs) (*netConf, []byte, string, error) {
	conf, err := loadConf(args.StdinData)
	if err != nil {
		return nil, nil, "", err
	}
	data, err := os.ReadFile(savedPath(conf, args.ContainerID))
	if err != nil {
		return conf, nil, "", err
	}
	var d struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return conf, nil, "", fmt.Errorf("flannel: saved configuration of %s is unreadable: %v", args.ContainerID, err)
	}
	return conf, data, d.Type, nil
}

func cmdDel(args *skel.CmdArgs) error {
	conf, data, typ, err := savedDelegate(args)
	if os.IsNotExist(err) {
		return nil // never added, or already deleted: DEL must succeed
	}
	if err != nil {
		return err
	}
	if err := invoke.DelegateDel(context.TODO(), typ, data, nil); err != nil {
		return err
	}
	return os.Remove(savedPath(conf, args.ContainerID))
}

func cmdCheck(args *skel.CmdArgs) error {
	_, data, typ, err := savedDelegate(args)
	if err != nil {
		return err
	}
	return invoke.DelegateCheck(context.TODO(), typ, data, nil)
}

func main() {
	skel.PluginMainFuncs(skel.CNIFuncs{Add: cmdAdd, Del: cmdDel, Check: cmdCheck}, version.All,
		"flannel CNI plugin (metalstore) "+buildVersion)
}
