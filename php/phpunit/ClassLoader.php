<?php
// moodle-plugin-check's class loader for the vendor/ it builds (PHPUnit's packages), under the name
// and with the public methods of Composer's: Moodle's tool_phpunit checks the class exists, and
// \core\environment reads getRegisteredLoaders() and isClassMapAuthoritative(). Written for this
// project; it loads a classmap, PSR-4 and PSR-0 prefixes.

namespace Composer\Autoload;

class ClassLoader {
    /** @var array<string, self> */
    private static array $registered = [];
    private array $classMap = [];
    private array $psr4 = [];
    private array $psr0 = [];

    public function __construct(private ?string $vendorDir = null) {
    }

    public function addClassMap(array $classMap): void {
        $this->classMap = $classMap + $this->classMap;
    }

    public function getClassMap(): array {
        return $this->classMap;
    }

    public function setPsr4(string $prefix, $paths): void {
        $this->psr4[$prefix] = (array) $paths;
    }

    public function add(string $prefix, $paths): void {
        $this->psr0[$prefix] = array_merge($this->psr0[$prefix] ?? [], (array) $paths);
    }

    public function isClassMapAuthoritative(): bool {
        return false;
    }

    public function register(bool $prepend = false): void {
        spl_autoload_register([$this, 'loadClass'], true, $prepend);
        if ($this->vendorDir !== null) {
            self::$registered[$this->vendorDir] = $this;
        }
    }

    public function unregister(): void {
        spl_autoload_unregister([$this, 'loadClass']);
        if ($this->vendorDir !== null) {
            unset(self::$registered[$this->vendorDir]);
        }
    }

    /** @return array<string, self> */
    public static function getRegisteredLoaders(): array {
        return self::$registered;
    }

    public function loadClass(string $class): ?bool {
        $file = $this->findFile($class);
        if ($file === false) {
            return null;
        }
        (static function (string $file): void {
            require $file;
        })($file);
        return true;
    }

    public function findFile(string $class) {
        if (isset($this->classMap[$class])) {
            return $this->classMap[$class];
        }
        foreach ($this->psr4 as $prefix => $dirs) {
            if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
                continue;
            }
            $rel = str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            foreach ($dirs as $dir) {
                if (is_file($file = rtrim($dir, '/') . '/' . $rel)) {
                    return $file;
                }
            }
        }
        foreach ($this->psr0 as $prefix => $dirs) {
            if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
                continue;
            }
            $pos = strrpos($class, '\\');
            $rel = ($pos === false ? '' : str_replace('\\', '/', substr($class, 0, $pos + 1)))
                . str_replace('_', '/', $pos === false ? $class : substr($class, $pos + 1)) . '.php';
            foreach ($dirs as $dir) {
                if (is_file($file = rtrim($dir, '/') . '/' . $rel)) {
                    return $file;
                }
            }
        }
        return false;
    }
}
