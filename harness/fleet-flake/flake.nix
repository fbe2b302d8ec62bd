{
  description = "Fixture: a fleet described by fleet.json (NixOS, home-manager and nix-darwin hosts that throw, evaluate slowly, fail to build, declare caches)";
  outputs = { self }:
    let
      fleet = builtins.fromJSON (builtins.readFile ./fleet.json);
      nonce = fleet.nonce;
      mk = system: name: script: deps:
        derivation ({ inherit name system; builder = "/bin/sh"; args = [ "-c" script ]; } // deps);
      base = system: mk system "base-${nonce}" "echo base ${system} ${nonce} > $out" { };
      # Pure evaluation work, about `n` million additions: a stand-in for a costly NixOS evaluation.
      spin = n: builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) (n * 1000000));
      host = name: spec:
        let
          system = spec.system or "x86_64-linux";
          b = base system;
          etc = mk system "etc-${name}-${nonce}" "echo etc ${name} $base > $out" { base = b; };
          # Forty numbered lines, then failure: the report must show the last 25 of them.
          broken = mk system "broken-${name}-${nonce}" "i=1; while [ $i -le 40 ]; do echo broken-line-$i; i=$((i+1)); done; exit 1" { };
          big = mk system "big-${name}-${nonce}" "echo big package of ${name} > $out" { };
          # Import from derivation: evaluating the host builds (or substitutes) this first.
          generated = mk system "generated-${name}-${nonce}" "echo '{ value = \"from-ifd-${name}\"; }' > $out" { };
          fromIfd = if spec.ifd or false then (import generated).value else "";
          toplevel = mk system "nixos-system-${name}-${nonce}" "echo ${name} $etc ${fromIfd} > $out"
            ({ inherit etc; } // (if spec.fail or false then { inherit broken; } else { }));
          evaluated = if spec.throw or false then throw "host ${name} does not evaluate: fixture says so" else toplevel;
          slow = if (spec.spin or 0) > 0 then builtins.seq (spin spec.spin) evaluated else evaluated;
        in {
          pkgs = { inherit big generated; };
          config = {
            system.build.toplevel = slow;
            nix.settings = spec.settings or { };
          };
        };
      # home-manager's shape: what the machine switches to is activationPackage; nix.settings
      # is there only when the configuration sets it (older home-manager has no nix module).
      home = name: spec:
        # Store path names cannot hold the @ of user@host.
        let nixos = host "home-${builtins.replaceStrings [ "@" ] [ "-at-" ] name}" spec; in {
          activationPackage = nixos.config.system.build.toplevel;
          inherit (nixos) pkgs;
          config = if spec ? settings then { nix.settings = spec.settings; } else { };
        };
      # nix-darwin's shape: the system derivation is `system`. A fixture Mac whose system is
      # x86_64-linux builds here; one of aarch64-darwin only evaluates.
      darwin = name: spec:
        let nixos = host "darwin-${name}" spec; in {
          system = nixos.config.system.build.toplevel;
          inherit (nixos) pkgs config;
        };
    in {
      nixosConfigurations = builtins.mapAttrs host (fleet.hosts or { });
    }
    // (if fleet ? home then { homeConfigurations = builtins.mapAttrs home fleet.home; } else { })
    // (if fleet ? darwin then { darwinConfigurations = builtins.mapAttrs darwin fleet.darwin; } else { })
    // (if fleet ? checks then {
      checks = builtins.mapAttrs (system: builtins.mapAttrs (name: spec:
        mk system "check-${name}-${nonce}"
          (if spec.fail or false then "echo check ${name} fails; exit 1" else "echo check ${name} ok > $out") { }))
        fleet.checks;
    } else { });
}
