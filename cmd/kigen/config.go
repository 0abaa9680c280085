package main

import "kigen/internal/config"

// Config is the effective configuration (package config).
type Config struct{ config.Config }

// LoadConfig reads the environment (config.Load).
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg, err := config.Load(getenv)
	return Config{cfg}, err
}

// DefaultConfig returns the embedded default (config.Default).
func DefaultConfig() Config { return Config{config.Default()} }
