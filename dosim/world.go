package dosim

import (
	"sort"
	"time"
)

// Image is a distribution image or a private snapshot.
type Image struct {
	ID          int       `json:"id"`
	Name        string    `json:"name"`
	Type        string    `json:"type"` // base, snapshot, backup, custom
	Distro      string    `json:"distribution"`
	Slug        string    `json:"slug,omitempty"`
	Public      bool      `json:"public"`
	Regions     []string  `json:"regions"`
	CreatedAt   time.Time `json:"created_at"`
	MinDiskSize int       `json:"min_disk_size"`
	SizeGB      float64   `json:"size_gigabytes"`
	Description string    `json:"description,omitempty"`
	Tags        []string  `json:"tags"`
	Status      string    `json:"status"`
	// Unhealthy makes /healthz on droplets built from this image answer 500.
	Unhealthy bool `json:"unhealthy,omitempty"`
	// Stuck keeps droplets built from this image in status "new" forever.
	Stuck bool `json:"stuck,omitempty"`
	// SourceDroplet is the droplet a snapshot was taken from (0 for others).
	SourceDroplet int `json:"source_droplet,omitempty"`
}

// Droplet is one simulated server.
type Droplet struct {
	ID         int       `json:"id"`
	Name       string    `json:"name"`
	Region     string    `json:"region"`
	Size       string    `json:"size"`
	ImageID    int       `json:"image_id"`
	Status     string    `json:"status"` // new, active, off
	CreatedAt  time.Time `json:"created_at"`
	ReadyAt    time.Time `json:"ready_at"`
	Tags       []string  `json:"tags"`
	PublicIP   string    `json:"public_ip,omitempty"`
	PrivateIP  string    `json:"private_ip,omitempty"`
	IPv6       bool      `json:"ipv6,omitempty"`
	Monitoring bool      `json:"monitoring,omitempty"`
	Backups    bool      `json:"backups,omitempty"`
	VPCUUID    string    `json:"vpc_uuid"`
	VolumeIDs  []string  `json:"volume_ids"`
	Snapshots  []int     `json:"snapshot_ids"`
	UserData   string    `json:"user_data,omitempty"`
	// CreateAction is the action that completes when the droplet becomes active.
	CreateAction int `json:"create_action,omitempty"`
	// Disk is the disk in GiB when a resize left it larger than the size's (0: the size's).
	Disk int `json:"disk,omitempty"`
	// Kernel is set for droplets with an externally managed kernel (change_kernel).
	Kernel *Kernel `json:"kernel,omitempty"`
	// BackupPolicy is set while backups are enabled; BackupIDs are the backups taken.
	BackupPolicy *BackupPolicy `json:"backup_policy,omitempty"`
	BackupIDs    []int         `json:"backup_ids,omitempty"`
	// Pool is the autoscale pool the droplet is a member of ("" for none), PoolTemplate
	// the key of the template it was made from (see templateKey).
	Pool         string `json:"pool,omitempty"`
	PoolTemplate string `json:"pool_template,omitempty"`
}

// disk is the droplet's disk in GiB.
func (d *Droplet) disk() int {
	if d.Disk > 0 {
		return d.Disk
	}
	return sizes[d.Size].Disk
}

// Kernel is an externally managed kernel (only droplets from before March 2017 have one).
type Kernel struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

// BackupPolicy is when a droplet's backups are taken: daily, or weekly on Weekday,
// in the four hours from Hour (UTC).
type BackupPolicy struct {
	Plan    string `json:"plan"`
	Weekday string `json:"weekday,omitempty"`
	Hour    int    `json:"hour"`
}

// Action is an asynchronous event on a resource.
type Action struct {
	ID           int        `json:"id"`
	Status       string     `json:"status"` // in-progress, completed, errored
	Type         string     `json:"type"`
	StartedAt    time.Time  `json:"started_at"`
	CompletedAt  *time.Time `json:"completed_at"`
	DoneAt       time.Time  `json:"done_at"`
	ResourceID   int        `json:"resource_id"`
	ResourceType string     `json:"resource_type"`
	Region       string     `json:"region_slug"`
	// Params carries what the action needs when it completes (a new name, an IP).
	Params map[string]string `json:"params,omitempty"`
}

// LoadBalancer lists droplets by ID, or by tag when Tag is set.
type LoadBalancer struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	IP         string    `json:"ip"`
	Region     string    `json:"region"`
	Tag        string    `json:"tag,omitempty"`
	DropletIDs []int     `json:"droplet_ids"`
	CreatedAt  time.Time `json:"created_at"`
	VPCUUID    string    `json:"vpc_uuid"`
	// Status is "new" until ReadyAt, then "active" (empty, for the seed's, is active).
	Status  string    `json:"status,omitempty"`
	ReadyAt time.Time `json:"ready_at,omitempty"`
	// Rules and Health are nil for the seed's balancers: HTTP on 80 to the health port.
	Rules            []ForwardingRule `json:"forwarding_rules,omitempty"`
	Health           *HealthCheck     `json:"health_check,omitempty"`
	Sticky           *StickySessions  `json:"sticky_sessions,omitempty"`
	SizeUnit         int              `json:"size_unit,omitempty"`
	RedirectHTTPS    bool             `json:"redirect_http_to_https,omitempty"`
	ProxyProtocol    bool             `json:"enable_proxy_protocol,omitempty"`
	BackendKeepalive bool             `json:"enable_backend_keepalive,omitempty"`
	IdleTimeout      int              `json:"http_idle_timeout_seconds,omitempty"`
}

// ReservedIP is a public address that can move between droplets of a region.
type ReservedIP struct {
	IP        string    `json:"ip"`
	Region    string    `json:"region"`
	DropletID int       `json:"droplet_id,omitempty"`
	Locked    bool      `json:"locked"`
	CreatedAt time.Time `json:"created_at"`
}

// Volume is block storage attachable to one droplet of its region.
type Volume struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// FSType is ext4 or xfs (empty, for the seed's volumes, is ext4); FSLabel its label.
	FSType     string    `json:"filesystem_type,omitempty"`
	FSLabel    string    `json:"filesystem_label,omitempty"`
	Region     string    `json:"region"`
	SizeGB     int       `json:"size_gigabytes"`
	DropletIDs []int     `json:"droplet_ids"`
	CreatedAt  time.Time `json:"created_at"`
	Tags       []string  `json:"tags"`
}

// world is the whole simulated account. Every field is guarded by Sim.mu.
type world struct {
	Account Account `json:"account"`
	// Droplets changes only through putDroplet and dropDroplet, which keep order.
	Droplets      map[int]*Droplet         `json:"droplets"`
	Images        map[int]*Image           `json:"images"`
	Actions       map[int]*Action          `json:"actions"`
	LoadBalancers map[string]*LoadBalancer `json:"load_balancers"`
	ReservedIPs   map[string]*ReservedIP   `json:"reserved_ips"`
	Volumes       map[string]*Volume       `json:"volumes"`
	Tags          map[string]bool          `json:"tags"`
	VPCs          map[string]*VPC          `json:"vpcs"`
	Keys          map[int]*SSHKey          `json:"ssh_keys"`
	Firewalls     map[string]*Firewall     `json:"firewalls"`
	Pools         map[string]*Pool         `json:"autoscale_pools"`
	Projects      map[string]*Project      `json:"projects"`
	// ProjectOf is the project of each resource assigned away from the default one, by
	// URN, and AssignedAt when it was assigned.
	ProjectOf    map[string]string    `json:"project_of,omitempty"`
	AssignedAt   map[string]time.Time `json:"assigned_at,omitempty"`
	NextID       int                  `json:"next_id"`
	NextAction   int                  `json:"next_action"`
	NextHost     int                  `json:"next_host"`
	Net16        int                  `json:"net16"`
	Nets         []int                `json:"nets,omitempty"`
	DropletLimit int                  `json:"droplet_limit"`
	Created      int                  `json:"droplets_created"`
	Deleted      int                  `json:"droplets_deleted"`

	// TaggedAt is when the tags API last tagged a resource, by "tag kind/id" (kind is
	// droplets, images or volumes), for each tag's last_tagged_uri.
	TaggedAt map[string]time.Time `json:"tagged_at,omitempty"`

	// order caches the droplets in ID order, nil when stale; busy counts, per droplet,
	// the in-progress actions that lock it. Neither is saved: reindex rebuilds them.
	order       []*Droplet
	busy        map[int]int
	actions     actionIndex
	gpuDroplets int // droplets of GPU sizes, which listings keep apart
}

func newWorld(nets []int) *world {
	w := &world{
		Droplets:      map[int]*Droplet{},
		Images:        map[int]*Image{},
		Actions:       map[int]*Action{},
		LoadBalancers: map[string]*LoadBalancer{},
		ReservedIPs:   map[string]*ReservedIP{},
		Volumes:       map[string]*Volume{},
		Tags:          map[string]bool{},
		VPCs:          map[string]*VPC{},
		Keys:          map[int]*SSHKey{},
		Firewalls:     map[string]*Firewall{},
		Pools:         map[string]*Pool{},
		Projects:      map[string]*Project{},
		ProjectOf:     map[string]string{},
		AssignedAt:    map[string]time.Time{},
		TaggedAt:      map[string]time.Time{},
		busy:          map[int]int{},
		NextID:        300000000,
		NextAction:    1900000000,
		Nets:          nets,
		DropletLimit:  100,
	}
	if len(nets) > 0 {
		w.Net16 = nets[0]
	}
	return w
}

func (w *world) newID() int {
	w.NextID++
	return w.NextID
}

// putDroplet adds a droplet to the world.
func (w *world) putDroplet(d *Droplet) {
	w.Droplets[d.ID] = d
	w.order = nil
	if sizes[d.Size].isGPU() {
		w.gpuDroplets++
	}
}

// dropDroplet removes a droplet from the world.
func (w *world) dropDroplet(id int) {
	if d, ok := w.Droplets[id]; ok && sizes[d.Size].isGPU() {
		w.gpuDroplets--
	}
	delete(w.Droplets, id)
	delete(w.busy, id)
	w.order = nil
}

// reindex rebuilds what the world derives from its maps, after a load or a seed.
func (w *world) reindex() {
	if w.Account.UUID == "" {
		w.Account = newAccount("") // a state file from before accounts had identities
	}
	w.order = nil
	w.busy = map[int]int{}
	w.gpuDroplets = 0
	for _, d := range w.Droplets {
		if sizes[d.Size].isGPU() {
			w.gpuDroplets++
		}
	}
	w.indexActions()
	for _, a := range w.Actions {
		if a.locks() {
			w.busy[a.ResourceID]++
		}
	}
}

// sortedDroplets returns the droplets that keep (nil: all) accepts, in ID order, the
// order DigitalOcean lists them in. The caller must not modify the slice.
func (w *world) sortedDroplets(keep func(*Droplet) bool) []*Droplet {
	if w.order == nil || len(w.order) != len(w.Droplets) {
		order := make([]*Droplet, 0, len(w.Droplets))
		for _, d := range w.Droplets {
			order = append(order, d)
		}
		sort.Slice(order, func(i, j int) bool { return order[i].ID < order[j].ID })
		w.order = order
	}
	if keep == nil {
		return w.order
	}
	out := []*Droplet{}
	for _, d := range w.order {
		if keep(d) {
			out = append(out, d)
		}
	}
	return out
}

func (w *world) tagDroplets(tag string) []*Droplet {
	return w.sortedDroplets(func(d *Droplet) bool { return hasString(d.Tags, tag) })
}

func (w *world) addTag(name string) { w.Tags[name] = true }

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func removeString(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func removeInt(list []int, v int) []int {
	out := list[:0:0]
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
