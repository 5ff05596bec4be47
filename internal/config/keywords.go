package config

// KeywordList is one safeguarding keyword list (`keywords:`): its name
// is its theme (self-harm, bullying, ...), its sources one phrase a line.
type KeywordList struct {
	Title   string   `yaml:"title"`
	Sources []Source `yaml:"sources"`
	Line    int      `yaml:"-"`
}
